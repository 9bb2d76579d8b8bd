// wayportd: the peer relay appliance.
//
//   wayportd [EAL args] -- [--config FILE] [--check-config]
//
// Without --config it runs the embedded default (one TAP port; see
// default_config.h). SIGINT and SIGTERM stop it cleanly; it then prints
// its final counters as JSON on standard output.
#include <rte_eal.h>
#include <rte_errno.h>

#include <csignal>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "config/config.h"
#include "tools/wayportd/appliance.h"
#include "tools/wayportd/default_config.h"

namespace {

std::atomic<bool> stop_requested{false};

void on_signal(int)
{
	stop_requested.store(true);
}

void usage(std::ostream &out)
{
	out << "usage: wayportd [EAL args] -- [--config FILE] [--check-config]\n"
	       "  --config FILE    the YAML configuration (default: the embedded one, a TAP port)\n"
	       "  --check-config   check the configuration and exit\n";
}

struct Options {
	std::string config_path;
	bool check_only = false;
};

// Our options are after "--"; everything before is EAL's.
bool parse_options(int argc, char **argv, int eal_argc, Options &opt)
{
	for (int i = eal_argc + 1; i < argc; i++) {
		std::string a = argv[i];
		if (a == "--config" && i + 1 < argc) {
			opt.config_path = argv[++i];
		} else if (a == "--check-config") {
			opt.check_only = true;
		} else if (a == "--help" || a == "-h") {
			usage(std::cout);
			std::exit(0);
		} else {
			std::cerr << "wayportd: unknown option " << a << (a == "--config" ? " (needs a FILE)" : "") << '\n';
			usage(std::cerr);
			return false;
		}
	}
	return true;
}

} // namespace

int main(int argc, char **argv)
{
	int eal_argc = argc;
	for (int i = 1; i < argc; i++) {
		if (std::strcmp(argv[i], "--") == 0) {
			eal_argc = i;
			break;
		}
	}
	Options opt;
	if (!parse_options(argc, argv, eal_argc, opt))
		return 2;

	auto loaded = opt.config_path.empty()
			      ? wayport::config::parse_config(wayport::kDefaultConfig, wayport::kDefaultConfigName)
			      : wayport::config::load_config(opt.config_path);
	if (!loaded.ok()) {
		std::cerr << loaded.error_text();
		return 1;
	}
	if (opt.check_only) {
		std::cout << (opt.config_path.empty() ? wayport::kDefaultConfigName : opt.config_path) << ": ok\n";
		return 0;
	}

	if (rte_eal_init(eal_argc, argv) < 0) {
		std::cerr << "wayportd: EAL initialisation failed: " << rte_strerror(rte_errno) << '\n';
		return 1;
	}
	std::signal(SIGINT, on_signal);
	std::signal(SIGTERM, on_signal);

	int rc = 0;
	{
		std::string error;
		auto appliance = wayport::Appliance::create(*loaded.config, error);
		if (!appliance) {
			std::cerr << "wayportd: " << error << '\n';
			rc = 1;
		} else {
			std::cerr << "wayportd: running; SIGINT or SIGTERM stops it\n";
			appliance->run(stop_requested);
			std::cout << appliance->final_report() << '\n';
		}
	}
	rte_eal_cleanup();
	return rc;
}
