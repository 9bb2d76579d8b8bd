#include "tools/wayportctl/commands.h"

#include <iostream>

#include "controlplane/disco/key.h"
#include "controlplane/disco/message.h"
#include "controlplane/disco/seal.h"
#include "dataplane/wire/disco_frame.h"
#include "dataplane/wire/geneve.h"
#include "tools/wayportctl/disco_json.h"
#include "tools/wayportctl/io.h"
#include "tools/wayportctl/payload_json.h"

namespace wayport::ctl {

using json = Json;

namespace {

json read_json(const std::string &arg)
{
	json j = json::parse(read_input(arg), nullptr, false);
	if (j.is_discarded())
		throw CommandError("input is not valid JSON");
	return j;
}

disco::Message parse_message(ByteSpan plaintext)
{
	disco::Message m;
	disco::ParseError err = disco::parse(plaintext, m);
	if (err != disco::ParseError::ok) {
		std::string what = disco::to_string(err);
		if (err == disco::ParseError::unknown_type)
			what += " 0x" + to_hex(plaintext.first(1));
		throw CommandError(what);
	}
	return m;
}

disco::PrivateKey read_private_key(const std::string &hex)
{
	auto k = disco::PrivateKey::from_hex(hex);
	if (!k)
		throw CommandError("--key must be a disco private key: 64 hex digits");
	return *k;
}

} // namespace

void cmd_decode(const std::string &arg)
{
	print(describe_payload(read_hex(arg, "the payload")));
}

void cmd_disco_decode(const std::string &arg)
{
	print(message_to_json(parse_message(read_hex(arg, "the message"))));
}

void cmd_disco_encode(const std::string &arg)
{
	try {
		std::cout << to_hex(disco::marshal(message_from_json(read_json(arg)))) << '\n';
	} catch (const JsonInputError &e) {
		throw CommandError(e.what());
	}
}

void cmd_disco_open(const std::string &key_hex, const std::string &arg)
{
	disco::PrivateKey self = read_private_key(key_hex);
	Bytes packet = read_hex(arg, "the packet");
	ByteSpan frame(packet);
	std::optional<GeneveHeader> geneve;
	if (!has_disco_magic(frame)) {
		GeneveHeader h;
		if (!geneve_decode(frame, h) || !has_disco_magic(frame.subspan(kGeneveHeaderLen)))
			throw CommandError("not a disco packet: no disco magic at byte 0, nor after an 8-byte Geneve header");
		geneve = h;
		frame = frame.subspan(kGeneveHeaderLen);
	}
	if (frame.size() < kDiscoSealOverhead)
		throw CommandError("disco packet truncated: " + std::to_string(frame.size()) +
				   " bytes, a sealed message needs at least " + std::to_string(kDiscoSealOverhead));
	auto sender = disco::PublicKey::from_raw(disco_sender(frame));
	auto shared = disco::shared_key(self, sender);
	if (!shared)
		throw CommandError("sender key " + sender.to_text() + " is a low-order point: no shared key");
	auto plain = disco::open(*shared, frame);
	if (!plain)
		throw CommandError("box does not open: the packet is not for this key, or it was altered");
	json j = message_to_json(parse_message(*plain));
	j["sender"] = sender.to_text();
	if (geneve)
		j["geneve"] = geneve_to_json(*geneve);
	print(j);
}

void cmd_disco_seal(const SealOptions &opt, const std::string &arg)
{
	disco::PrivateKey self = read_private_key(opt.key_hex);
	auto peer = disco::PublicKey::from_text(opt.peer);
	if (!peer)
		throw CommandError("--peer must be a disco public key: \"discokey:\" and 64 hex digits");
	if (opt.control && !opt.geneve_vni)
		throw CommandError("--control needs --geneve-vni: it is a bit of the Geneve header");
	std::optional<disco::Nonce> nonce;
	if (opt.nonce_hex) {
		auto n = from_hex(*opt.nonce_hex);
		if (!n || n->size() != kDiscoNonceLen)
			throw CommandError("--nonce must be 24 bytes (48 hex digits)");
		nonce.emplace();
		std::copy(n->begin(), n->end(), nonce->begin());
	}
	disco::Message m;
	try {
		m = message_from_json(read_json(arg));
	} catch (const JsonInputError &e) {
		throw CommandError(e.what());
	}
	auto shared = disco::shared_key(self, *peer);
	if (!shared)
		throw CommandError("--peer is a low-order point: no shared key");

	Bytes out;
	if (opt.geneve_vni) {
		GeneveHeader h{.version = 0, .control = opt.control, .protocol = kGeneveProtocolDisco,
			       .vni = *opt.geneve_vni};
		out.resize(kGeneveHeaderLen);
		if (GeneveError err = geneve_encode(h, out); err != GeneveError::ok)
			throw CommandError(std::string("--geneve-vni: ") + to_string(err));
	}
	disco::seal(*shared, self.public_key(), disco::marshal(m), out, nonce ? &*nonce : nullptr);
	std::cout << to_hex(out) << '\n';
}

void cmd_keygen()
{
	disco::PrivateKey k = disco::PrivateKey::generate();
	print({{"private", to_hex(k.raw())}, {"public", k.public_key().to_text()}});
}

} // namespace wayport::ctl
