// Every Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s vector in
// tests/data/noise-ikpsk2-vectors.json (cacophony's and flynn/noise's) run
// through the generic Noise core: both handshake messages byte-exact, the
// handshake hash where given, then the transport messages byte-exact.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controlplane/wireguard/noise.h"
#include "dataplane/wire/bytes.h"

namespace wayport::wireguard {
namespace {

using nlohmann::json;

struct Message {
	Bytes payload;
	Bytes ciphertext;
};

// The two files' field names brought to one shape.
struct Vector {
	std::string source;
	std::string protocol_name;
	Bytes init_prologue, resp_prologue;
	Key32 init_static{}, resp_static{}, init_ephemeral{}, resp_ephemeral{};
	std::optional<PublicKey> init_remote_static;
	Key32 init_psk{}, resp_psk{};
	std::optional<Bytes> handshake_hash;
	std::vector<Message> messages; // [0], [1] handshake; then i->r, r->i, ...
};

Bytes hex(const json &j)
{
	std::optional<Bytes> b = from_hex(j.get<std::string>());
	EXPECT_TRUE(b.has_value()) << j;
	return b.value_or(Bytes{});
}

Key32 key(const json &j)
{
	Bytes b = hex(j);
	Key32 k{};
	EXPECT_EQ(b.size(), kKeyLen);
	std::copy_n(b.begin(), std::min(b.size(), k.size()), k.begin());
	return k;
}

json load()
{
	std::ifstream in(WAYPORT_NOISE_VECTORS);
	EXPECT_TRUE(in) << WAYPORT_NOISE_VECTORS;
	return json::parse(in);
}

std::vector<Vector> cacophony(const json &all)
{
	std::vector<Vector> out;
	for (const json &j : all.at("vectors")) {
		Vector v;
		v.source = j.at("_source");
		v.protocol_name = j.at("protocol_name");
		v.init_prologue = hex(j.at("init_prologue"));
		v.resp_prologue = hex(j.at("resp_prologue"));
		v.init_static = key(j.at("init_static"));
		v.resp_static = key(j.at("resp_static"));
		v.init_ephemeral = key(j.at("init_ephemeral"));
		v.resp_ephemeral = key(j.at("resp_ephemeral"));
		v.init_remote_static = PublicKey{key(j.at("init_remote_static"))};
		EXPECT_EQ(j.at("init_psks").size(), 1u);
		EXPECT_EQ(j.at("resp_psks").size(), 1u);
		v.init_psk = key(j.at("init_psks").at(0));
		v.resp_psk = key(j.at("resp_psks").at(0));
		if (j.contains("handshake_hash"))
			v.handshake_hash = hex(j.at("handshake_hash"));
		for (const json &m : j.at("messages"))
			v.messages.push_back({hex(m.at("payload")), hex(m.at("ciphertext"))});
		out.push_back(std::move(v));
	}
	return out;
}

std::vector<Vector> flynn(const json &all)
{
	std::vector<Vector> out;
	for (const json &j : all.at("flynn_vectors")) {
		Vector v;
		v.source = j.at("_source");
		v.protocol_name = j.at("handshake");
		if (j.contains("prologue"))
			v.init_prologue = v.resp_prologue = hex(j.at("prologue"));
		v.init_static = key(j.at("init_static"));
		v.resp_static = key(j.at("resp_static"));
		v.init_ephemeral = key(j.at("gen_init_ephemeral"));
		v.resp_ephemeral = key(j.at("gen_resp_ephemeral"));
		v.init_psk = v.resp_psk = key(j.at("preshared_key"));
		for (int i = 0;; i++) {
			std::string p = "msg_" + std::to_string(i);
			if (!j.contains(p + "_ciphertext"))
				break;
			v.messages.push_back({hex(j.at(p + "_payload")), hex(j.at(p + "_ciphertext"))});
		}
		out.push_back(std::move(v));
	}
	return out;
}

void run(const Vector &v)
{
	SCOPED_TRACE(v.source);
	ASSERT_GT(v.messages.size(), 2u); // both handshake messages and some transport
	PrivateKey resp_static = PrivateKey::from_raw(v.resp_static);
	PrivateKey init_static = PrivateKey::from_raw(v.init_static);
	IKpsk2Handshake init({v.protocol_name, v.init_prologue, NoiseRole::initiator, init_static,
			      init_static.public_key(), v.init_remote_static.value_or(resp_static.public_key())});
	IKpsk2Handshake resp({v.protocol_name, v.resp_prologue, NoiseRole::responder, resp_static,
			      resp_static.public_key(), {}});

	const Message &m1 = v.messages[0];
	Bytes wire(IKpsk2Handshake::message1_len(m1.payload.size()));
	ASSERT_EQ(init.write_message1(PrivateKey::from_raw(v.init_ephemeral), m1.payload, wire), NoiseError::ok);
	EXPECT_EQ(to_hex(wire), to_hex(m1.ciphertext));
	Bytes payload(m1.ciphertext.size() - IKpsk2Handshake::message1_len(0));
	ASSERT_EQ(resp.read_message1(m1.ciphertext, payload), NoiseError::ok);
	EXPECT_EQ(to_hex(payload), to_hex(m1.payload));
	EXPECT_EQ(resp.remote_static(), PrivateKey::from_raw(v.init_static).public_key());

	const Message &m2 = v.messages[1];
	wire.assign(IKpsk2Handshake::message2_len(m2.payload.size()), 0);
	ASSERT_EQ(resp.write_message2(PrivateKey::from_raw(v.resp_ephemeral), v.resp_psk, m2.payload, wire),
		  NoiseError::ok);
	EXPECT_EQ(to_hex(wire), to_hex(m2.ciphertext));
	payload.assign(m2.ciphertext.size() - IKpsk2Handshake::message2_len(0), 0);
	ASSERT_EQ(init.read_message2(v.init_psk, m2.ciphertext, payload), NoiseError::ok);
	EXPECT_EQ(to_hex(payload), to_hex(m2.payload));

	ASSERT_TRUE(init.complete());
	ASSERT_TRUE(resp.complete());
	EXPECT_EQ(init.handshake_hash(), resp.handshake_hash());
	if (v.handshake_hash) {
		EXPECT_EQ(to_hex(init.handshake_hash()), to_hex(*v.handshake_hash));
	}

	SplitKeys ik = init.split(), rk = resp.split();
	CipherState i_send(ik.initiator_to_responder), i_recv(ik.responder_to_initiator);
	CipherState r_send(rk.responder_to_initiator), r_recv(rk.initiator_to_responder);
	for (size_t i = 2; i < v.messages.size(); i++) {
		SCOPED_TRACE("transport message " + std::to_string(i));
		const Message &m = v.messages[i];
		bool from_initiator = i % 2 == 0;
		CipherState &send = from_initiator ? i_send : r_send;
		CipherState &recv = from_initiator ? r_recv : i_recv;
		wire.assign(m.payload.size() + kTagLen, 0);
		ASSERT_EQ(send.encrypt_with_ad({}, m.payload, wire), NoiseError::ok);
		EXPECT_EQ(to_hex(wire), to_hex(m.ciphertext));
		payload.assign(m.ciphertext.size() - kTagLen, 0);
		ASSERT_EQ(recv.decrypt_with_ad({}, m.ciphertext, payload), NoiseError::ok);
		EXPECT_EQ(to_hex(payload), to_hex(m.payload));
	}
}

TEST(NoiseVectors, Cacophony)
{
	std::vector<Vector> vs = cacophony(load());
	ASSERT_FALSE(vs.empty());
	for (const Vector &v : vs)
		run(v);
}

TEST(NoiseVectors, Flynn)
{
	std::vector<Vector> vs = flynn(load());
	ASSERT_EQ(vs.size(), 4u);
	for (const Vector &v : vs)
		run(v);
}

TEST(NoiseVectors, AlteredMessageIsRejected)
{
	std::vector<Vector> vs = flynn(load());
	ASSERT_FALSE(vs.empty());
	const Vector &v = vs[0];
	PrivateKey resp_static = PrivateKey::from_raw(v.resp_static);
	IKpsk2Handshake resp({v.protocol_name, v.resp_prologue, NoiseRole::responder, resp_static,
			      resp_static.public_key(), {}});
	Bytes m1 = v.messages[0].ciphertext;
	m1[40] ^= 1; // inside the encrypted static key
	Bytes payload(m1.size() - IKpsk2Handshake::message1_len(0));
	EXPECT_EQ(resp.read_message1(m1, payload), NoiseError::decrypt_failed);
	// A failed handshake stays failed.
	EXPECT_EQ(resp.read_message1(v.messages[0].ciphertext, payload), NoiseError::wrong_state);
}

TEST(NoiseVectors, ProtocolNameMatters)
{
	std::vector<Vector> vs = flynn(load());
	ASSERT_FALSE(vs.empty());
	const Vector &v = vs[0];
	PrivateKey init_static = PrivateKey::from_raw(v.init_static);
	IKpsk2Handshake init({"Noise_IKpsk2_25519_AESGCM_BLAKE2s", v.init_prologue, NoiseRole::initiator,
			      init_static, init_static.public_key(), PrivateKey::from_raw(v.resp_static).public_key()});
	Bytes wire(IKpsk2Handshake::message1_len(0));
	ASSERT_EQ(init.write_message1(PrivateKey::from_raw(v.init_ephemeral), {}, wire), NoiseError::ok);
	EXPECT_NE(to_hex(wire), to_hex(v.messages[0].ciphertext));
}

} // namespace
} // namespace wayport::wireguard
