// Runs the wayportctl binary as a user would and checks what it prints.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <blake2.h>
#include <unistd.h>

#include "controlplane/wireguard/cookie.h"
#include "controlplane/wireguard/handshake.h"
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

// Fixed inputs for wg initiate and respond: keys made from fixed bytes, so
// every run must print the same messages.
std::string fixed_private_key(uint8_t first)
{
	wireguard::Key32 raw;
	for (size_t i = 0; i < raw.size(); i++)
		raw[i] = static_cast<uint8_t>(first + i);
	return wireguard::PrivateKey::from_raw(raw).to_base64();
}

std::string public_key_of(const std::string &private_b64)
{
	CtlRun r = wayportctl({"wg", "pubkey"}, private_b64 + "\n");
	EXPECT_EQ(r.status, 0) << r.err;
	return trim(r.out);
}

struct Fixed {
	std::string initiator = fixed_private_key(0x10);
	std::string responder = fixed_private_key(0x40);
	std::string initiator_ephemeral = fixed_private_key(0x70);
	std::string responder_ephemeral = fixed_private_key(0xa0);
	std::string psk = wireguard::PublicKey{wireguard::Key32{0x55, 0x66, 0x77}}.to_base64();
	std::string timestamp = "400000006553f100000a0000";
	uint32_t initiator_index = 0x01020304;
	uint32_t responder_index = 0xa0b0c0d0;
};

CtlRun initiate(const Fixed &f)
{
	return wayportctl({"wg", "initiate", "--key", f.initiator, "--peer", public_key_of(f.responder), "--psk",
			   f.psk, "--ephemeral", f.initiator_ephemeral, "--timestamp", f.timestamp, "--sender-index",
			   std::to_string(f.initiator_index)});
}

CtlRun respond(const Fixed &f, const std::string &initiation)
{
	return wayportctl({"wg", "respond", "--key", f.responder, "--peer", public_key_of(f.initiator), "--psk",
			   f.psk, "--ephemeral", f.responder_ephemeral, "--sender-index",
			   std::to_string(f.responder_index), initiation});
}

// The command's JSON, failing the test when it did not succeed.
json ok_json(const CtlRun &r)
{
	EXPECT_EQ(r.status, 0) << r.err;
	return r.status == 0 ? r.out_json() : json::object();
}

wireguard::PrivateKey private_key(const std::string &b64)
{
	return *wireguard::PrivateKey::from_base64(b64).value;
}

Bytes hex_bytes(const std::string &hex)
{
	return *from_hex(hex);
}

TEST(WayportctlWg, InitiateThenRespond)
{
	Fixed f;
	json init = ok_json(initiate(f));
	std::string initiation = init["initiation"];
	EXPECT_EQ(initiation.size(), 2 * kWireGuardInitiationLen);
	EXPECT_EQ(init["sender_index"], f.initiator_index);
	EXPECT_EQ(initiation.substr(2 * 132), std::string(32, '0')) << "mac2 is zero without a cookie";

	json resp = ok_json(respond(f, initiation));
	EXPECT_EQ(resp["initiator"], public_key_of(f.initiator));
	EXPECT_EQ(resp["timestamp"], f.timestamp);
	EXPECT_EQ(resp["receiver_index"], init["sender_index"]);
	EXPECT_EQ(resp["sender_index"], f.responder_index);
	EXPECT_EQ(std::string(resp["response"]).size(), 2 * kWireGuardResponseLen);
	EXPECT_EQ(std::string(resp["send_key"]).size(), 64u);
	EXPECT_NE(resp["send_key"], resp["receive_key"]);

	json d = ok_json(wayportctl({"wg", "decode", initiation}));
	EXPECT_EQ(d["type"], "initiation");
	EXPECT_EQ(d["sender_index"], f.initiator_index);
	EXPECT_EQ(d["mac2"], std::string(32, '0'));
	d = ok_json(wayportctl({"wg", "decode", resp["response"]}));
	EXPECT_EQ(d["type"], "response");
	EXPECT_EQ(d["sender_index"], f.responder_index);
	EXPECT_EQ(d["receiver_index"], f.initiator_index);

	// The state printed after message 1 is the one both sides hold: the
	// library's responder reaches the same chaining key and hash.
	wireguard::Identity responder(private_key(f.responder));
	std::optional<wireguard::ReceivedInitiation> received;
	ASSERT_EQ(wireguard::consume_initiation(responder, hex_bytes(initiation), received),
		  wireguard::HandshakeError::ok);
	EXPECT_EQ(init["chaining_key"], to_hex(received->noise.chaining_key()));
	EXPECT_EQ(init["hash"], to_hex(received->noise.handshake_hash()));

	// "-" reads the initiation from standard input, as the other offline commands do.
	CtlRun piped = wayportctl({"wg", "respond", "--key", f.responder, "--peer", public_key_of(f.initiator), "--psk",
				   f.psk, "--ephemeral", f.responder_ephemeral, "--sender-index",
				   std::to_string(f.responder_index), "-"},
				  initiation);
	EXPECT_EQ(piped.out, respond(f, initiation).out) << piped.err;
}

TEST(WayportctlWg, HandshakeOutputIsFixedByItsInputs)
{
	Fixed f;
	CtlRun first = initiate(f);
	ASSERT_EQ(first.status, 0) << first.err;
	EXPECT_EQ(initiate(f).out, first.out);
	std::string initiation = first.out_json()["initiation"];
	CtlRun answer = respond(f, initiation);
	ASSERT_EQ(answer.status, 0) << answer.err;
	EXPECT_EQ(respond(f, initiation).out, answer.out);

	Fixed other = f;
	other.initiator_ephemeral = fixed_private_key(0x71);
	json changed = ok_json(initiate(other));
	EXPECT_NE(changed["initiation"], initiation);
	EXPECT_NE(changed["chaining_key"], first.out_json()["chaining_key"]);

	other = f;
	other.responder_ephemeral = fixed_private_key(0xa1);
	json changed_answer = ok_json(respond(other, initiation));
	EXPECT_NE(changed_answer["response"], answer.out_json()["response"]);
	EXPECT_NE(changed_answer["send_key"], answer.out_json()["send_key"]);

	// Left out, the ephemeral, timestamp and index are drawn afresh, and
	// the result is still a valid initiation from now.
	std::vector<std::string> bare = {"wg", "initiate", "--key", f.initiator, "--peer", public_key_of(f.responder)};
	json a = ok_json(wayportctl(bare));
	json b = ok_json(wayportctl(bare));
	EXPECT_NE(a["initiation"], b["initiation"]);
	json got = ok_json(wayportctl({"wg", "respond", "--key", f.responder, "--peer", public_key_of(f.initiator),
				       a["initiation"]}));
	EXPECT_EQ(got["receiver_index"], a["sender_index"]);
	std::string ts = got["timestamp"];
	ASSERT_EQ(ts.size(), 24u);
	// 2^62 + seconds since 1970, big-endian: past 2023 and before 2100.
	uint64_t seconds = load_be64(hex_bytes(ts).data()) - (uint64_t{1} << 62);
	EXPECT_GT(seconds, 1'700'000'000u);
	EXPECT_LT(seconds, 4'100'000'000u);
}

TEST(WayportctlWg, RespondKeysMirrorTheInitiators)
{
	Fixed f;
	json resp = ok_json(respond(f, ok_json(initiate(f))["initiation"]));

	// The initiator's side, computed with the library from the same inputs.
	wireguard::Identity initiator(private_key(f.initiator));
	wireguard::InitiationParams params;
	params.peer = *wireguard::PublicKey::from_base64(public_key_of(f.responder)).value;
	params.psk = wireguard::PublicKey::from_base64(f.psk).value->bytes;
	params.sender_index = f.initiator_index;
	params.ephemeral = private_key(f.initiator_ephemeral);
	std::copy_n(hex_bytes(f.timestamp).begin(), wireguard::kTai64nLen, params.timestamp.bytes.begin());
	std::array<uint8_t, kWireGuardInitiationLen> init;
	std::optional<wireguard::PendingInitiation> pending;
	ASSERT_EQ(wireguard::create_initiation(initiator, params, init, pending), wireguard::HandshakeError::ok);
	EXPECT_EQ(to_hex(init), ok_json(initiate(f))["initiation"]) << "the tool prints the library's bytes";

	wireguard::PendingInitiation retry = *pending;
	wireguard::TransportKeys keys;
	ASSERT_EQ(wireguard::consume_response(initiator, *pending, params.psk, hex_bytes(resp["response"]), keys),
		  wireguard::HandshakeError::ok);
	EXPECT_EQ(to_hex(keys.send), resp["receive_key"]);
	EXPECT_EQ(to_hex(keys.receive), resp["send_key"]);
	EXPECT_EQ(keys.remote_index, f.responder_index);

	// The psk enters only at message 2: a responder with another one
	// answers, and the initiator's check of that answer fails.
	Fixed other = f;
	other.psk = wireguard::PublicKey{wireguard::Key32{0x56}}.to_base64();
	json wrong = ok_json(respond(other, to_hex(init)));
	EXPECT_EQ(wireguard::consume_response(initiator, retry, params.psk, hex_bytes(wrong["response"]), keys),
		  wireguard::HandshakeError::decrypt_failed);
}

// The cookie computed apart from the library: keyed BLAKE2s-128 over the
// source bytes as the kernel lays them out.
std::string blake2s_mac_hex(ByteSpan key, ByteSpan data)
{
	std::array<uint8_t, 16> out;
	EXPECT_EQ(blake2s(out.data(), data.data(), key.data(), out.size(), data.size(), key.size()), 0);
	return to_hex(out);
}

TEST(WayportctlWg, CookieReplyOpensToTheSourcesCookie)
{
	Fixed f;
	std::string initiation = ok_json(initiate(f))["initiation"];
	std::string response = ok_json(respond(f, initiation))["response"];
	const std::string secret = pattern(0x20, 0x40), nonce = pattern(0x80, 0x98);
	struct Source {
		std::string text;
		std::string bytes_hex;  // address, then the port big-endian
	};
	const Source sources[] = {
		{"192.0.2.1:51820", "c0000201" "ca6c"},
		{"[2001:db8::1]:443", "20010db8000000000000000000000001" "01bb"},
	};
	// An initiation is answered with the responder's key, a response with
	// the initiator's: --key is whoever the message was sent to.
	struct Answered {
		std::string message;
		std::string key;
		uint32_t sender_index;
	};
	const Answered answered[] = {{initiation, f.responder, f.initiator_index},
				     {response, f.initiator, f.responder_index}};
	for (const Answered &m : answered) {
		for (const Source &src : sources) {
			SCOPED_TRACE(src.text + " " + m.message.substr(0, 8));
			std::vector<std::string> args = {"wg",    "cookie", "--key",  m.key,    "--secret", secret,
							 "--nonce", nonce,   "--source", src.text, m.message};
			CtlRun r = wayportctl(args);
			json j = ok_json(r);
			std::string want = blake2s_mac_hex(hex_bytes(secret), hex_bytes(src.bytes_hex));
			EXPECT_EQ(j["cookie"], want);
			EXPECT_EQ(wayportctl(args).out, r.out);

			wireguard::PublicKey owner = private_key(m.key).public_key();
			Bytes message = hex_bytes(m.message);
			wireguard::Cookie cookie{};
			ASSERT_EQ(wireguard::consume_cookie_reply(wireguard::cookie_key(owner), wireguard::mac1_of(message),
								  hex_bytes(j["cookie_reply"]), cookie),
				  wireguard::HandshakeError::ok);
			EXPECT_EQ(to_hex(cookie), want);

			json d = ok_json(wayportctl({"wg", "decode", j["cookie_reply"]}));
			EXPECT_EQ(d["type"], "cookie_reply");
			EXPECT_EQ(d["receiver_index"], m.sender_index);
			EXPECT_EQ(d["nonce"], nonce);
		}
	}
	std::vector<std::string> other_nonce = {"wg",    "cookie", "--key",  f.responder, "--secret", secret, "--nonce",
						pattern(0x81, 0x99), "--source", "192.0.2.1:51820", initiation};
	EXPECT_NE(ok_json(wayportctl(other_nonce))["cookie_reply"],
		  ok_json(wayportctl({"wg", "cookie", "--key", f.responder, "--secret", secret, "--nonce", nonce,
				      "--source", "192.0.2.1:51820", initiation}))["cookie_reply"]);
}

TEST(WayportctlWg, HandshakeCommandsRefuseBadInput)
{
	Fixed f;
	std::string initiation = ok_json(initiate(f))["initiation"];
	std::string response = ok_json(respond(f, initiation))["response"];
	std::string initiator_pub = public_key_of(f.initiator), responder_pub = public_key_of(f.responder);
	auto respond_with = [&](const std::string &key, const std::string &peer, const std::string &message) {
		return wayportctl({"wg", "respond", "--key", key, "--peer", peer, message});
	};
	auto cookie_with = [&](const std::string &secret, const std::string &nonce, const std::string &source,
			       const std::string &message) {
		return wayportctl({"wg", "cookie", "--key", f.responder, "--secret", secret, "--nonce", nonce,
				   "--source", source, message});
	};
	const std::string secret = std::string(64, 'a'), nonce = std::string(48, 'b');

	// A byte of the encrypted static changed: mac1 no longer matches, and
	// with mac1 made anew over the change, the AEAD catches it.
	Bytes tampered = hex_bytes(initiation);
	tampered[wgmsg::Initiation::encrypted_static] ^= 1;
	expect_error(respond_with(f.responder, initiator_pub, to_hex(tampered)), "bad mac1");
	expect_error(cookie_with(secret, nonce, "192.0.2.1:1", to_hex(tampered)), "bad mac1");
	wireguard::write_macs(tampered, wireguard::mac1_key(*wireguard::PublicKey::from_base64(responder_pub).value),
			      std::nullopt);
	expect_error(respond_with(f.responder, initiator_pub, to_hex(tampered)), "decrypt failed");

	expect_error(respond_with(f.responder, responder_pub, initiation),
		     "wrong peer: the initiation is from " + initiator_pub);
	expect_error(respond_with(f.initiator, responder_pub, initiation), "bad mac1");  // not sent to this key
	expect_error(respond_with(f.initiator, responder_pub, response), "the message is a response (type 2, 92 bytes)");
	expect_error(respond_with(f.responder, initiator_pub, initiation.substr(1)), "must be hex digits");
	expect_error(respond_with(f.responder, initiator_pub, initiation.substr(0, 2 * 147)),
		     "not a WireGuard message (type 1, 147 bytes)");
	std::string reply = ok_json(cookie_with(secret, nonce, "192.0.2.1:1", initiation))["cookie_reply"];
	expect_error(cookie_with(secret, nonce, "192.0.2.1:1", reply), "the message is a cookie_reply (type 3, 64 bytes)");
	expect_error(cookie_with(secret, nonce, "192.0.2.1:1", response), "bad mac1");  // sent to the initiator

	// Keys: the flag is named, and a private key is never echoed.
	const std::string not_base64 = "this is not a key but it is 44 characters!!=";
	CtlRun r = wayportctl({"wg", "initiate", "--key", not_base64, "--peer", responder_pub});
	expect_error(r, "--key must be a private key in wg's base64");
	EXPECT_EQ(r.err.find(not_base64), std::string::npos);
	expect_error(wayportctl({"wg", "initiate", "--key", f.initiator, "--peer", responder_pub.substr(1)}),
		     "--peer must be a public key");
	expect_error(wayportctl({"wg", "initiate", "--key", f.initiator, "--peer", responder_pub, "--psk", "x"}),
		     "--psk must be a preshared key");
	expect_error(wayportctl({"wg", "initiate", "--key", f.initiator, "--peer", responder_pub, "--ephemeral", "x"}),
		     "--ephemeral must be a private key");
	expect_error(respond_with(not_base64, initiator_pub, initiation), "--key must be a private key");
	expect_error(wayportctl({"wg", "initiate", "--key", f.initiator, "--peer", std::string(43, 'A') + "="}),
		     "--peer is a low-order point");

	// Fixed-length hex.
	expect_error(wayportctl({"wg", "initiate", "--key", f.initiator, "--peer", responder_pub, "--timestamp", "00"}),
		     "--timestamp must be 12 bytes (24 hex digits), not 1");
	expect_error(cookie_with(secret.substr(2), nonce, "192.0.2.1:1", initiation), "--secret must be 32 bytes");
	expect_error(cookie_with(secret, nonce + "00", "192.0.2.1:1", initiation), "--nonce must be 24 bytes");
	expect_error(cookie_with(secret, "zz", "192.0.2.1:1", initiation), "--nonce must be 24 bytes");
	expect_error(cookie_with(secret, nonce, "192.0.2.1", initiation), "--source must be addr:port");
	expect_error(cookie_with(secret, nonce, "2001:db8::1:5", initiation), "--source must be addr:port");

	// CLI11's own refusals.
	expect_error(wayportctl({"wg", "initiate", "--key", f.initiator, "--peer", responder_pub, "--sender-index",
				 "4294967296"}),
		     "--sender-index");
	expect_error(wayportctl({"wg", "initiate", "--peer", responder_pub}), "--key is required");
	expect_error(wayportctl({"wg", "respond", "--key", f.responder, "--peer", initiator_pub}), "initiation");
}

} // namespace
} // namespace wayport
