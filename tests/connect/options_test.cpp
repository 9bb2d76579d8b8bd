// wayport-connect's settings: flags and the YAML file, and what a mistake
// in either is reported as.
#include <gtest/gtest.h>

#include <functional>

#include "tests/connect/temp_dir.h"
#include "tools/wayport-connect/options.h"

namespace wayport::connect {
namespace {

using test::TempDir;

const std::string kPeer = "discokey:" + std::string(64, 'b');
const std::string kRelayKey = "discokey:" + std::string(64, 'c');

// Every required setting, as flags.
RawOptions complete()
{
	RawOptions raw;
	raw.key = "/etc/wayport-connect/disco.key";
	raw.peer = kPeer;
	raw.relay = "203.0.113.5:7777";
	raw.relay_key = kRelayKey;
	raw.listen = "127.0.0.1:51900";
	raw.forward = "127.0.0.1:51820";
	return raw;
}

// The ConfigError's text; a test failure when nothing was thrown.
std::string error_of(const std::function<void()> &f)
{
	try {
		f();
	} catch (const ConfigError &e) {
		return e.what();
	}
	ADD_FAILURE() << "no ConfigError";
	return "";
}

std::string validate_error(const RawOptions &raw)
{
	return error_of([&] { validate(raw); });
}

// Errors about a file loaded into empty flags.
std::string file_error(const TempDir &dir, const std::string &yaml)
{
	std::string path = dir.write("c.yaml", yaml);
	RawOptions raw;
	return error_of([&] {
		merge_config_file(path, raw);
		validate(raw);
	});
}

const std::string kFile = "key: /k\n"
			  "peer: " + kPeer + "\n"
			  "relay: 198.51.100.1:7777\n"
			  "relay_key: " + kRelayKey + "\n"
			  "listen: 127.0.0.1:1000\n"
			  "forward: 127.0.0.1:2000\n"
			  "source: 0.0.0.0:3000\n"
			  "status: /run/s.json\n";

TEST(Options, FlagsAlone)
{
	Options o = validate(complete());
	EXPECT_EQ(o.key_file, "/etc/wayport-connect/disco.key");
	EXPECT_EQ(o.peer.to_text(), kPeer);
	ASSERT_TRUE(o.relay);
	EXPECT_EQ(o.relay->to_string(), "203.0.113.5:7777");
	ASSERT_TRUE(o.relay_key);
	EXPECT_EQ(o.relay_key->to_text(), kRelayKey);
	EXPECT_TRUE(o.api_socket.empty());
	EXPECT_EQ(o.listen.to_string(), "127.0.0.1:51900");
	EXPECT_EQ(o.forward.to_string(), "127.0.0.1:51820");
	// Dual stack, any port: reaches IPv4 and IPv6 relays alike.
	EXPECT_EQ(o.source.to_string(), "[::]:0");
	EXPECT_TRUE(o.status_file.empty());
}

TEST(Options, FileAlone)
{
	TempDir dir;
	RawOptions raw;
	merge_config_file(dir.write("c.yaml", kFile), raw);
	Options o = validate(raw);
	EXPECT_EQ(o.key_file, "/k");
	EXPECT_EQ(o.relay->to_string(), "198.51.100.1:7777");
	EXPECT_EQ(o.listen.to_string(), "127.0.0.1:1000");
	EXPECT_EQ(o.forward.to_string(), "127.0.0.1:2000");
	EXPECT_EQ(o.source.to_string(), "0.0.0.0:3000");
	EXPECT_EQ(o.status_file, "/run/s.json");
}

TEST(Options, FlagsWinOverTheFile)
{
	TempDir dir;
	RawOptions raw;
	raw.listen = "127.0.0.1:51900";
	raw.status = "/tmp/flag.json";
	merge_config_file(dir.write("c.yaml", kFile), raw);
	Options o = validate(raw);
	EXPECT_EQ(o.listen.to_string(), "127.0.0.1:51900");
	EXPECT_EQ(o.status_file, "/tmp/flag.json");
	// What the flags left alone comes from the file.
	EXPECT_EQ(o.forward.to_string(), "127.0.0.1:2000");
	EXPECT_EQ(o.key_file, "/k");
}

TEST(Options, AFlagReplacesABadFileValueAndErrorsNameTheFlag)
{
	TempDir dir;
	std::string path = dir.write("c.yaml", "listen: not-an-address\nforward: 127.0.0.1:2000\n");
	RawOptions raw = complete();
	raw.forward.reset();
	merge_config_file(path, raw);
	EXPECT_NO_THROW(validate(raw));

	raw = complete();
	raw.listen = "nonsense";
	merge_config_file(path, raw);
	EXPECT_EQ(validate_error(raw).rfind("--listen \"nonsense\": not an IP:PORT", 0), 0u) << validate_error(raw);
}

TEST(Options, EmptyFileSetsNothing)
{
	TempDir dir;
	RawOptions raw = complete();
	merge_config_file(dir.write("c.yaml", "# nothing here\n"), raw);
	EXPECT_NO_THROW(validate(raw));
}

TEST(Options, UnknownKeyNamesFileAndLine)
{
	TempDir dir;
	std::string e = file_error(dir, "key: /k\n\nlisen: 127.0.0.1:1\n");
	EXPECT_EQ(e, dir.file("c.yaml") + ":3: unknown key \"lisen\"");
}

TEST(Options, RepeatedKeyNamesTheSecond)
{
	TempDir dir;
	std::string e = file_error(dir, "peer: " + kPeer + "\nkey: /k\npeer: " + kPeer + "\n");
	EXPECT_EQ(e, dir.file("c.yaml") + ":3: key \"peer\" given twice");
}

TEST(Options, RepeatedKeyIsAnErrorEvenWhenAFlagSetsIt)
{
	TempDir dir;
	RawOptions raw = complete();
	std::string path = dir.write("c.yaml", "listen: 127.0.0.1:1\nlisten: 127.0.0.1:2\n");
	EXPECT_EQ(error_of([&] { merge_config_file(path, raw); }), path + ":2: key \"listen\" given twice");
}

TEST(Options, ListAndMapValuesAreRefused)
{
	TempDir dir;
	EXPECT_EQ(file_error(dir, "key: /k\nlisten: [127.0.0.1:1, 127.0.0.1:2]\n"),
		  dir.file("c.yaml") + ":2: \"listen\" must be a single value");
	EXPECT_EQ(file_error(dir, "key: /k\nrelay:\n  addr: 127.0.0.1\n  port: 7777\n"),
		  dir.file("c.yaml") + ":3: \"relay\" must be a single value");
}

TEST(Options, KeyWithoutValueIsRefused)
{
	TempDir dir;
	EXPECT_EQ(file_error(dir, "key: /k\nstatus:\n"), dir.file("c.yaml") + ":2: \"status\" has no value");
}

TEST(Options, FileMustBeAMapping)
{
	TempDir dir;
	EXPECT_EQ(file_error(dir, "- key\n- peer\n"),
		  dir.file("c.yaml") + ":1: the file must be a mapping of keys to values");
}

TEST(Options, YamlSyntaxErrorNamesFileAndLine)
{
	TempDir dir;
	std::string e = file_error(dir, "key: /k\npeer: [unclosed\n");
	EXPECT_EQ(e.rfind(dir.file("c.yaml") + ":", 0), 0u) << e;
	EXPECT_NE(e.find("end of sequence"), std::string::npos) << e;
}

TEST(Options, MissingFile)
{
	RawOptions raw;
	EXPECT_EQ(error_of([&] { merge_config_file("/nonexistent/c.yaml", raw); }),
		  "cannot read configuration file /nonexistent/c.yaml");
}

TEST(Options, BadAddressFromAFlag)
{
	auto bad = [](std::optional<std::string> RawOptions::*field, const std::string &value) {
		RawOptions raw = complete();
		raw.*field = value;
		return validate_error(raw);
	};
	EXPECT_EQ(bad(&RawOptions::listen, "127.0.0.1"),
		  "--listen \"127.0.0.1\": not an IP:PORT (IPv6 in brackets: [2001:db8::1]:7777)");
	EXPECT_EQ(bad(&RawOptions::forward, "localhost:51820").rfind("--forward \"localhost:51820\": not an IP:PORT", 0),
		  0u);
	EXPECT_EQ(bad(&RawOptions::relay, "2001:db8::1:7777").rfind("--relay \"2001:db8::1:7777\": not an IP:PORT", 0),
		  0u);
	EXPECT_EQ(bad(&RawOptions::source, "0.0.0.0:99999").rfind("--source \"0.0.0.0:99999\": not an IP:PORT", 0),
		  0u);
	EXPECT_EQ(bad(&RawOptions::listen, "127.0.0.1:0"), "--listen \"127.0.0.1:0\": the port must not be 0");
	EXPECT_EQ(bad(&RawOptions::relay, "203.0.113.5:0"), "--relay \"203.0.113.5:0\": the port must not be 0");
	// The source may leave the port to the kernel.
	RawOptions raw = complete();
	raw.source = "127.0.0.1:0";
	EXPECT_EQ(validate(raw).source.to_string(), "127.0.0.1:0");
}

TEST(Options, BadAddressFromTheFileNamesFileLineAndKey)
{
	TempDir dir;
	std::string path = dir.write("c.yaml", "# a comment\nforward: 127.0.0.1\n");
	RawOptions raw = complete();
	raw.forward.reset();
	merge_config_file(path, raw);
	EXPECT_EQ(validate_error(raw),
		  path + ":2: forward \"127.0.0.1\": not an IP:PORT (IPv6 in brackets: [2001:db8::1]:7777)");
}

TEST(Options, IPv6InBrackets)
{
	TempDir dir;
	RawOptions raw = complete();
	raw.relay.reset();
	raw.source.reset();
	merge_config_file(dir.write("c.yaml", "relay: \"[2001:db8::5]:7777\"\nsource: \"[::]:4000\"\n"), raw);
	Options o = validate(raw);
	EXPECT_EQ(o.relay->to_string(), "[2001:db8::5]:7777");
	EXPECT_FALSE(o.relay->is_v4);
	EXPECT_EQ(o.source.to_string(), "[::]:4000");
}

TEST(Options, BadKeys)
{
	RawOptions raw = complete();
	raw.peer = "discokey:" + std::string(63, 'b');
	EXPECT_EQ(validate_error(raw), "--peer \"" + *raw.peer + "\": not a disco public key (discokey: and 64 hex digits)");
	raw = complete();
	raw.peer = std::string(64, 'b');  // no prefix
	EXPECT_EQ(validate_error(raw).rfind("--peer \"", 0), 0u);
	raw = complete();
	raw.relay_key = "discokey:" + std::string(62, 'c') + "zz";
	EXPECT_EQ(validate_error(raw).rfind("--relay-key \"discokey:", 0), 0u) << validate_error(raw);
	EXPECT_NE(validate_error(raw).find("not a disco public key"), std::string::npos);

	TempDir dir;
	std::string path = dir.write("c.yaml", "relay_key: nodekey:" + std::string(64, 'c') + "\n");
	raw = complete();
	raw.relay_key.reset();
	merge_config_file(path, raw);
	EXPECT_EQ(validate_error(raw).rfind(path + ":1: relay_key \"nodekey:", 0), 0u) << validate_error(raw);
}

TEST(Options, EachRequiredSettingIsNamed)
{
	struct Case {
		std::optional<std::string> RawOptions::*field;
		std::string start;
	};
	const Case cases[] = {
		{&RawOptions::key, "--key (or key in the --config file) is required"},
		{&RawOptions::peer, "--peer (or peer in the --config file) is required"},
		{&RawOptions::listen, "--listen (or listen in the --config file) is required"},
		{&RawOptions::forward, "--forward (or forward in the --config file) is required"},
		{&RawOptions::relay, "--relay (or relay in the --config file) is required"},
		{&RawOptions::relay_key, "--relay-key (or relay_key in the --config file) is required"},
	};
	for (const auto &c : cases) {
		RawOptions raw = complete();
		(raw.*c.field).reset();
		std::string e = validate_error(raw);
		EXPECT_EQ(e.rfind(c.start, 0), 0u) << e;
	}
}

TEST(Options, SomeWayToAllocateIsRequired)
{
	RawOptions raw = complete();
	raw.relay.reset();
	raw.relay_key.reset();
	EXPECT_EQ(validate_error(raw), "say where to allocate: --relay and --relay-key, or --api-socket");
}

TEST(Options, ApiSocketInsteadOfRelay)
{
	RawOptions raw = complete();
	raw.relay.reset();
	raw.relay_key.reset();
	raw.api_socket = "/run/wayport/api.sock";
	Options o = validate(raw);
	EXPECT_EQ(o.api_socket, "/run/wayport/api.sock");
	EXPECT_FALSE(o.relay);
	EXPECT_FALSE(o.relay_key);

	raw.api_socket = "run/api.sock";
	EXPECT_EQ(validate_error(raw), "--api-socket \"run/api.sock\": must be an absolute path");
}

TEST(Options, ApiSocketExcludesRelay)
{
	RawOptions raw = complete();
	raw.api_socket = "/run/wayport/api.sock";
	EXPECT_EQ(validate_error(raw), "--api-socket and --relay: give either --api-socket (on the relay host) or "
				       "--relay and --relay-key, not both");
	raw.relay.reset();
	EXPECT_EQ(validate_error(raw).rfind("--api-socket and --relay-key: ", 0), 0u);

	// From the file, the lines are named.
	TempDir dir;
	std::string path = dir.write("c.yaml", "relay: 203.0.113.5:7777\napi_socket: /run/api.sock\n");
	raw = complete();
	raw.relay.reset();
	merge_config_file(path, raw);
	EXPECT_EQ(validate_error(raw).rfind(path + ":2: api_socket and " + path + ":1: relay: give either", 0), 0u)
		<< validate_error(raw);
}

TEST(Options, AddressFamiliesMustFit)
{
	RawOptions raw = complete();
	raw.forward = "[::1]:51820";
	EXPECT_EQ(validate_error(raw), "--forward [::1]:51820 is IPv6 but --listen 127.0.0.1:51900 is IPv4: datagrams "
				       "to WireGuard leave from the --listen socket");
	raw = complete();
	raw.relay = "[2001:db8::5]:7777";
	raw.source = "0.0.0.0:0";
	EXPECT_EQ(validate_error(raw), "--relay [2001:db8::5]:7777 is IPv6 but --source 0.0.0.0:0 is IPv4");
	// The default source is dual stack.
	raw.source.reset();
	EXPECT_NO_THROW(validate(raw));
}

TEST(Options, EmptyStatusFile)
{
	TempDir dir;
	std::string path = dir.write("c.yaml", "status: \"\"\n");
	RawOptions raw = complete();
	merge_config_file(path, raw);
	EXPECT_EQ(validate_error(raw), path + ":1: status: the file name is empty");
}

} // namespace
} // namespace wayport::connect
