// Runs the wayportctl binary as a user would and checks what it prints.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include "controlplane/wireguard/key.h"
#include "tests/support/run_tool.h"
#include "tests/unit/vectors.h"

namespace wayport {
namespace {

using nlohmann::json;
using test::vec;

struct CtlRun : test::ToolRun {
	json out_json() const { return json::parse(out); }
};

CtlRun wayportctl(const std::vector<std::string> &args, const std::string &stdin_text = "")
{
	return {test::run_tool(WAYPORTCTL, args, stdin_text)};
}

std::string trim(std::string s)
{
	while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
		s.pop_back();
	return s;
}

void expect_error(const CtlRun &r, const std::string &mentions)
{
	EXPECT_NE(r.status, 0);
	EXPECT_TRUE(r.out.empty()) << r.out;
	EXPECT_NE(r.err.find(mentions), std::string::npos) << "stderr: " << r.err;
}

const char *kPlaintexts[] = {"disco_plain_bind_A", "disco_plain_challenge_S", "disco_plain_answer_A",
			     "disco_plain_ping_A", "disco_plain_alloc_req_A", "disco_plain_alloc_resp_R"};

TEST(Wayportctl, DiscoDecodeThenEncodeIsExact)
{
	std::vector<std::string> inputs;
	for (const char *name : kPlaintexts)
		inputs.push_back(to_hex(vec(name)));
	// Our own forms of the other types, and lenient corner cases.
	inputs.push_back("0200" "0102030405060708090a0b0c" "20010db8000000000000000000000001" "0007");
	inputs.push_back("0300" "00000000000000000000ffffcb007105" "1e61");
	inputs.push_back("0300" "00000000000000000000ffffcb007105" "1e");  // ignored body
	inputs.push_back("0700" + to_hex(vec("disco_plain_alloc_resp_R")).substr(12));
	inputs.push_back("0100" "0102030405060708090a0b0c" "0000ff");       // nonzero padding
	inputs.push_back("0801");                                            // ignored body
	inputs.push_back(to_hex(vec("disco_plain_bind_A")) + "abcdef");      // trailing
	for (const auto &hex : inputs) {
		SCOPED_TRACE(hex);
		CtlRun dec = wayportctl({"disco", "decode", hex});
		ASSERT_EQ(dec.status, 0) << dec.err;
		CtlRun enc = wayportctl({"disco", "encode", "-"}, dec.out);
		ASSERT_EQ(enc.status, 0) << enc.err;
		EXPECT_EQ(trim(enc.out), hex);
	}
}

TEST(Wayportctl, DiscoDecodeFieldNames)
{
	json j = wayportctl({"disco", "decode", to_hex(vec("disco_plain_alloc_resp_R"))}).out_json();
	EXPECT_EQ(j["type"], "allocate_udp_relay_endpoint_response");
	EXPECT_EQ(j["version"], 0);
	EXPECT_EQ(j["generation"], 1);
	EXPECT_EQ(j["server_disco"], "discokey:" + to_hex(vec("key_S_pub")));
	EXPECT_EQ(j["client_disco"][0], "discokey:" + to_hex(vec("key_B_pub")));
	EXPECT_EQ(j["lamport_id"], 1);
	EXPECT_EQ(j["vni"], 1);
	EXPECT_EQ(j["bind_lifetime_ns"], 30'000'000'000);
	EXPECT_EQ(j["steady_state_lifetime_ns"], 300'000'000'000);
	EXPECT_EQ(j["addr_ports"], json::array({"203.0.113.5:7777"}));

	j = wayportctl({"disco", "decode", to_hex(vec("disco_plain_ping_A"))}).out_json();
	EXPECT_EQ(j["type"], "ping");
	EXPECT_EQ(j["tx_id"], "0102030405060708090a0b0c");
	EXPECT_EQ(j["node_key"], "nodekey:" + std::string(64, '3'));
	EXPECT_EQ(j["padding"], 0);

	j = wayportctl({"disco", "decode", to_hex(vec("disco_plain_challenge_S"))}).out_json();
	EXPECT_EQ(j["challenge"], to_hex(vec("mac_v4")));
	EXPECT_EQ(j["remote_key"], "discokey:" + to_hex(vec("key_B_pub")));
}

TEST(Wayportctl, SealMatchesVectorsAndOpenReadsThem)
{
	CtlRun plain = wayportctl({"disco", "decode", to_hex(vec("disco_plain_bind_A"))});
	CtlRun sealed = wayportctl({"disco", "seal", "--key", to_hex(vec("key_A_priv")), "--peer",
				 "discokey:" + to_hex(vec("key_S_pub")), "--nonce", to_hex(vec("nonce_1")),
				 "--geneve-vni", "1", "--control", "-"},
				plain.out);
	ASSERT_EQ(sealed.status, 0) << sealed.err;
	EXPECT_EQ(trim(sealed.out), to_hex(vec("pkt_bind_A_to_S")));

	json opened = wayportctl({"disco", "open", "--key", to_hex(vec("key_S_priv")),
				  to_hex(vec("pkt_bind_A_to_S"))}).out_json();
	EXPECT_EQ(opened["type"], "bind_udp_relay_endpoint");
	EXPECT_EQ(opened["sender"], "discokey:" + to_hex(vec("key_A_pub")));
	EXPECT_EQ(opened["geneve"]["control"], true);
	EXPECT_EQ(opened["geneve"]["protocol"], "disco");
	EXPECT_EQ(opened["geneve"]["vni"], 1);

	// Naked disco (no Geneve header): the allocation request to R.
	opened = wayportctl({"disco", "open", "--key", to_hex(vec("key_R_priv")),
			     to_hex(vec("pkt_alloc_req_A_to_R_naked_disco"))}).out_json();
	EXPECT_EQ(opened["type"], "allocate_udp_relay_endpoint_request");
	EXPECT_FALSE(opened.contains("geneve"));

	// Without --nonce the nonce is random, and the result still opens.
	CtlRun random = wayportctl({"disco", "seal", "--key", to_hex(vec("key_R_priv")), "--peer",
				 "discokey:" + to_hex(vec("key_A_pub")), "-"},
				wayportctl({"disco", "decode", to_hex(vec("disco_plain_alloc_resp_R"))}).out);
	ASSERT_EQ(random.status, 0) << random.err;
	opened = wayportctl({"disco", "open", "--key", to_hex(vec("key_A_priv")), trim(random.out)}).out_json();
	EXPECT_EQ(opened["type"], "allocate_udp_relay_endpoint_response");
	EXPECT_EQ(opened["sender"], "discokey:" + to_hex(vec("key_R_pub")));
}

TEST(Wayportctl, DecodeClassifiesPayloads)
{
	json j = wayportctl({"decode", to_hex(vec("pkt_relayed_wg_init_A_to_B"))}).out_json();
	EXPECT_EQ(j["class"], "geneve_wireguard");
	EXPECT_EQ(j["geneve"]["protocol"], "wireguard");
	EXPECT_EQ(j["geneve"]["control"], false);
	EXPECT_EQ(j["wireguard"]["type"], "initiation");
	EXPECT_EQ(j["length"], 156);
	EXPECT_EQ(j["relay_view"], "geneve_data");

	j = wayportctl({"decode", to_hex(vec("pkt_challenge_S_to_A"))}).out_json();
	EXPECT_EQ(j["class"], "geneve_disco");
	EXPECT_EQ(j["disco"]["sender"], "discokey:" + to_hex(vec("key_S_pub")));
	EXPECT_EQ(j["disco"]["plaintext_length"], 74);
	EXPECT_EQ(j["client_view"]["looks_like"], "disco");
	EXPECT_EQ(j["client_view"]["geneve"], true);
	EXPECT_EQ(j["relay_view"], "geneve_control");

	j = wayportctl({"decode", "00010000" "2112a442" "0102030405060708090a0b0c"}).out_json();
	EXPECT_EQ(j["class"], "stun_binding");
	EXPECT_EQ(j["stun"]["transaction_id"], "0102030405060708090a0b0c");
	EXPECT_EQ(j["relay_view"], "stun_binding");

	j = wayportctl({"decode", "40807a11000001005453"}).out_json();
	EXPECT_EQ(j["class"], "other");
	EXPECT_EQ(j["lenient_geneve"]["version"], 1);
	EXPECT_EQ(j["relay_view"], "geneve_control");  // any 8 bytes, as Tailscale's server reads them
}

TEST(Wayportctl, KeygenGivesAWorkingPair)
{
	json k = wayportctl({"keygen"}).out_json();
	std::string priv = k["private"], pub = k["public"];
	EXPECT_EQ(priv.size(), 64u);
	ASSERT_EQ(pub.rfind("discokey:", 0), 0u);
	// Seal to the new key with A's key; the new private key opens it.
	CtlRun sealed = wayportctl({"disco", "seal", "--key", to_hex(vec("key_A_priv")), "--peer", pub, "-"},
				R"({"type":"ping","tx_id":"0102030405060708090a0b0c"})");
	ASSERT_EQ(sealed.status, 0) << sealed.err;
	json opened = wayportctl({"disco", "open", "--key", priv, trim(sealed.out)}).out_json();
	EXPECT_EQ(opened["type"], "ping");
	EXPECT_NE(wayportctl({"keygen"}).out_json()["private"], priv);
}

TEST(Wayportctl, ErrorsNameTheProblem)
{
	std::string a_priv = to_hex(vec("key_A_priv"));
	std::string s_pub = "discokey:" + to_hex(vec("key_S_pub"));
	expect_error(wayportctl({"decode", "abc"}), "hex");
	expect_error(wayportctl({"disco", "decode", "0a00"}), "unknown disco message type 0x0a");
	expect_error(wayportctl({"disco", "decode", "0400"}), "too short");
	expect_error(wayportctl({"disco", "encode", "{"}), "not valid JSON");
	expect_error(wayportctl({"disco", "encode", R"({"type":"pong"})"}), "field 'tx_id' is required");
	expect_error(wayportctl({"disco", "encode", R"({"type":"pingg","tx_id":"00"})"}), "field 'type'");
	expect_error(wayportctl({"disco", "encode", R"({"type":"ping","tx_id":"0102"})"}), "12 bytes");
	expect_error(wayportctl({"disco", "encode", R"({"type":"ping","tx_id":"0102030405060708090a0b0c","vni":1})"}),
		     "field 'vni' is not part of a ping message");
	expect_error(wayportctl({"disco", "encode",
				 R"({"type":"pong","tx_id":"0102030405060708090a0b0c","src":"1.2.3.4"})"}),
		     "field 'src'");
	expect_error(wayportctl({"disco", "encode",
				 R"({"type":"bind_udp_relay_endpoint","vni":-1,"generation":1,"remote_key":"x"})"}),
		     "field 'vni'");
	expect_error(wayportctl({"disco", "encode",
				 R"({"type":"allocate_udp_relay_endpoint_request","client_disco":["discokey:00"],"generation":1})"}),
		     "field 'client_disco'");
	expect_error(wayportctl({"disco", "open", "--key", "zz", "00"}), "--key");
	expect_error(wayportctl({"disco", "open", "--key", a_priv, "00112233"}), "not a disco packet");
	expect_error(wayportctl({"disco", "open", "--key", a_priv, to_hex(vec("pkt_bind_A_to_S"))}),
		     "box does not open");
	expect_error(wayportctl({"disco", "open", "--key", a_priv, to_hex(vec("pkt_bind_A_to_S")).substr(0, 100)}),
		     "truncated");
	const std::string ping = R"({"type":"ping","tx_id":"0102030405060708090a0b0c"})";
	expect_error(wayportctl({"disco", "seal", "--key", a_priv, "--peer", "discokey:00", "-"}, ping), "--peer");
	expect_error(wayportctl({"disco", "seal", "--key", a_priv, "--peer", s_pub, "--nonce", "00", "-"}, ping),
		     "--nonce");
	expect_error(wayportctl({"disco", "seal", "--key", a_priv, "--peer", s_pub, "--geneve-vni", "16777216", "-"},
				ping),
		     "VNI");
	expect_error(wayportctl({"disco", "seal", "--key", a_priv, "--peer", s_pub, "--control", "-"}, ping),
		     "--geneve-vni");
	expect_error(wayportctl({"disco", "seal", "--key", a_priv, "--peer", "discokey:" + std::string(64, '0'), "-"},
				ping),
		     "low-order");
	expect_error(wayportctl({"nonsense"}), "nonsense");
	expect_error(wayportctl({}), "a command is required");
}

// wireguard-tools' own binary, which scripts/bootstrap installs: wayportctl's
// keys must be interchangeable with it both ways.
constexpr const char *kWg = "/usr/bin/wg";

test::ToolRun wg(const std::vector<std::string> &args, const std::string &stdin_text = "")
{
	return test::run_tool(kWg, args, stdin_text);
}

TEST(WayportctlWg, GenkeyIsAClampedBase64Key)
{
	std::string first = wayportctl({"wg", "genkey"}).out;
	std::string second = wayportctl({"wg", "genkey"}).out;
	for (const std::string &line : {first, second}) {
		ASSERT_EQ(line.size(), 45u) << line;  // 44 characters and the newline, as wg genkey
		EXPECT_EQ(line.back(), '\n');
		// Read as plain bytes: PublicKey's parse does not clamp.
		auto parsed = wireguard::PublicKey::from_base64(line.substr(0, 44));
		ASSERT_TRUE(parsed) << parsed.error;
		const wireguard::Key32 &raw = parsed.value->bytes;
		EXPECT_EQ(raw[0] & 7, 0) << "low three bits cleared";
		EXPECT_EQ(raw[31] & 0x80, 0) << "top bit cleared";
		EXPECT_EQ(raw[31] & 0x40, 0x40) << "second bit set";
	}
	EXPECT_NE(first, second);
}

TEST(WayportctlWg, PubkeyAgreesWithWireguardTools)
{
	ASSERT_EQ(access(kWg, X_OK), 0) << kWg << " missing: scripts/bootstrap installs wireguard-tools";
	for (int i = 0; i < 4; i++) {
		// Keys from each tool, through both tools' pubkey.
		std::string ours = wayportctl({"wg", "genkey"}).out;
		test::ToolRun theirs = wg({"genkey"});
		ASSERT_EQ(theirs.status, 0) << theirs.err;
		for (const std::string &priv : {ours, theirs.out}) {
			SCOPED_TRACE(priv);
			test::ToolRun expected = wg({"pubkey"}, priv);
			ASSERT_EQ(expected.status, 0) << expected.err;
			CtlRun got = wayportctl({"wg", "pubkey"}, priv);
			ASSERT_EQ(got.status, 0) << got.err;
			EXPECT_EQ(got.out, expected.out);
		}
	}
	// Unclamped input: both clamp before the multiplication.
	std::string unclamped = "//////////////////////////////////////////8=\n";
	EXPECT_EQ(wayportctl({"wg", "pubkey"}, unclamped).out, wg({"pubkey"}, unclamped).out);
	// No trailing newline, and surrounding whitespace.
	std::string priv = trim(wg({"genkey"}).out);
	std::string pub = wg({"pubkey"}, priv + "\n").out;
	EXPECT_EQ(wayportctl({"wg", "pubkey"}, priv).out, pub);
	EXPECT_EQ(wayportctl({"wg", "pubkey"}, "  " + priv + " \r\n\n").out, pub);
}

TEST(WayportctlWg, PubkeyRefusesWhatIsNotAKeyWithoutEchoingIt)
{
	std::string valid = trim(wayportctl({"wg", "genkey"}).out);
	const std::string bad[] = {
		"",
		valid.substr(0, 43),          // one character short
		valid + "A",                  // one too many
		valid.substr(0, 42) + "!=",   // not base64
		valid + " " + valid,          // two keys
		"hello\n",
	};
	for (const std::string &in : bad) {
		SCOPED_TRACE(in);
		CtlRun r = wayportctl({"wg", "pubkey"}, in);
		expect_error(r, "wg pubkey: standard input is not a private key");
		if (in.size() > 8) {
			EXPECT_EQ(r.err.find(in.substr(0, 8)), std::string::npos) << "the secret must not be echoed";
		}
	}
	// And wg agrees that these are not keys.
	for (const std::string &in : bad)
		EXPECT_NE(wg({"pubkey"}, in).status, 0) << in;
	expect_error(wayportctl({"wg"}), "A subcommand is required");
}

// A message of n bytes whose byte i is i (mod 256), with the type set and
// the reserved bytes zero: each field then shows where it was read from.
std::string wg_message(uint8_t type, size_t n)
{
	std::vector<uint8_t> b(n);
	for (size_t i = 0; i < n; i++)
		b[i] = static_cast<uint8_t>(i);
	b[0] = type;
	b[1] = b[2] = b[3] = 0;
	return to_hex(b);
}

// Bytes [from, to) of wg_message's pattern, as hex.
std::string pattern(size_t from, size_t to)
{
	std::vector<uint8_t> b;
	for (size_t i = from; i < to; i++)
		b.push_back(static_cast<uint8_t>(i));
	return to_hex(b);
}

TEST(WayportctlWg, DecodeShowsEveryCleartextField)
{
	// Offsets from the whitepaper's message figures (§5.4.2-5.4.7).
	json j = wayportctl({"wg", "decode", wg_message(1, 148)}).out_json();
	EXPECT_EQ(j["type"], "initiation");
	EXPECT_EQ(j["length"], 148);
	EXPECT_EQ(j["sender_index"], 0x07060504u);
	EXPECT_EQ(j["ephemeral"], pattern(8, 40));
	EXPECT_EQ(j["encrypted_static"], pattern(40, 88));
	EXPECT_EQ(j["encrypted_timestamp"], pattern(88, 116));
	EXPECT_EQ(j["mac1"], pattern(116, 132));
	EXPECT_EQ(j["mac2"], pattern(132, 148));

	j = wayportctl({"wg", "decode", wg_message(2, 92)}).out_json();
	EXPECT_EQ(j["type"], "response");
	EXPECT_EQ(j["sender_index"], 0x07060504u);
	EXPECT_EQ(j["receiver_index"], 0x0b0a0908u);
	EXPECT_EQ(j["ephemeral"], pattern(12, 44));
	EXPECT_EQ(j["encrypted_nothing"], pattern(44, 60));
	EXPECT_EQ(j["mac1"], pattern(60, 76));
	EXPECT_EQ(j["mac2"], pattern(76, 92));

	j = wayportctl({"wg", "decode", wg_message(3, 64)}).out_json();
	EXPECT_EQ(j["type"], "cookie_reply");
	EXPECT_EQ(j["receiver_index"], 0x07060504u);
	EXPECT_EQ(j["nonce"], pattern(8, 32));
	EXPECT_EQ(j["encrypted_cookie"], pattern(32, 64));

	j = wayportctl({"wg", "decode", "-"}, wg_message(4, 32 + 48)).out_json();
	EXPECT_EQ(j["type"], "transport");
	EXPECT_EQ(j["receiver_index"], 0x07060504u);
	EXPECT_EQ(j["counter"], 0x0f0e0d0c0b0a0908u);
	EXPECT_EQ(j["encrypted_length"], 48);
	EXPECT_EQ(wayportctl({"wg", "decode", wg_message(4, 32)}).out_json()["encrypted_length"], 0);
}

TEST(WayportctlWg, DecodeRefusesWhatIsNotAWireGuardMessage)
{
	// Each type one byte off its size, unknown types, nonzero reserved bytes.
	const std::string bad[] = {
		wg_message(1, 147), wg_message(1, 149), wg_message(2, 91), wg_message(2, 93),
		wg_message(3, 63),  wg_message(3, 65),  wg_message(4, 31), wg_message(5, 148),
		wg_message(0, 148), "01" + wg_message(1, 148).substr(2, 2) + "01" + wg_message(1, 148).substr(6),
	};
	for (const std::string &hex : bad) {
		SCOPED_TRACE(hex.substr(0, 16));
		expect_error(wayportctl({"wg", "decode", hex}), "not a WireGuard message");
	}
	expect_error(wayportctl({"wg", "decode", ""}), "type none, 0 bytes");
	expect_error(wayportctl({"wg", "decode", "0g"}), "must be hex digits");
}

} // namespace
} // namespace wayport
