// GoogleTest main for tests that need DPDK: EAL runs once per process, with
// no hugepages, no PCI and no shared files, so tests run anywhere.
#include <gtest/gtest.h>

#include <rte_eal.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "dataplane/packet/meta.h"

int main(int argc, char **argv)
{
	testing::InitGoogleTest(&argc, argv);
	// 256 MiB unless the test says more: an executable whose tests hold two
	// prefix tables at once (128 MiB each, their tbl24s) sets
	// WAYPORT_TEST_EAL_MB in its meson test().
	const char *mb = std::getenv("WAYPORT_TEST_EAL_MB");
	std::vector<std::string> args = {"wayport_tests", "-l", "0", "--no-huge", "-m", mb ? mb : "256", "--no-pci",
					 "--no-shconf", "--log-level=error"};
	std::vector<char *> eal_argv;
	for (auto &a : args)
		eal_argv.push_back(a.data());
	if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
		std::fprintf(stderr, "rte_eal_init failed\n");
		return 1;
	}
	// Every stage reads its packets' metadata from this field.
	if (!wayport::register_packet_meta()) {
		std::fprintf(stderr, "register_packet_meta failed\n");
		rte_eal_cleanup();
		return 1;
	}
	int rc = RUN_ALL_TESTS();
	rte_eal_cleanup();
	return rc;
}
