#include "dataplane/crypto/aead_batch.h"

#include <algorithm>
#include <cstring>

#include <sodium.h>

// Only the IMB_-prefixed names: the compatibility macros (ENCRYPT, MD5, ...)
// would leak into everything after this include.
#define NO_COMPAT_IMB_API_053
#include <intel-ipsec-mb.h>

namespace wayport {

namespace {

// ipsec-mb checks the AD pointer even when the AD is empty.
constexpr uint8_t no_ad = 0;

IMB_MGR *start_manager(void (*init)(IMB_MGR *))
{
	IMB_MGR *m = alloc_mb_mgr(0);
	if (m == nullptr)
		return nullptr;
	init(m);
	if (imb_get_errno(m) != 0) {  // e.g. IMB_ERR_MISSING_CPUFLAGS_INIT_MGR
		free_mb_mgr(m);
		return nullptr;
	}
	return m;
}

}  // namespace

const char *aead_engine_name(AeadEngine e)
{
	switch (e) {
	case AeadEngine::automatic:
		return "automatic";
	case AeadEngine::avx512:
		return "ipsec-mb avx512";
	case AeadEngine::sse:
		return "ipsec-mb sse";
	case AeadEngine::sodium:
		return "libsodium";
	}
	return "?";
}

AeadBatch::AeadBatch(uint16_t capacity, AeadEngine requested)
	: jobs_(new Job[std::clamp<uint16_t>(capacity, 1, max_capacity)]),
	  capacity_(std::clamp<uint16_t>(capacity, 1, max_capacity))
{
	// sodium_init only picks libsodium's fastest code for this CPU; if it
	// fails, the portable code still gives the same bytes.
	[[maybe_unused]] int sodium_rc = sodium_init();

	// Why one manager. The figures at 64 B put ipsec-mb's SSE code
	// (~520 cycles) ahead of its AVX-512 code (~710). In 32-packet batches
	// (crypto_bench, fastest batch of three runs, TSC cycles per packet, this
	// EPYC znver3 VM) AVX-512 wins at every length: 394 vs 424 at 64 B, 417
	// vs 510 at 128, 457 vs 540 at 192, 491 vs 1374 at 512, 874 vs 3069 at
	// 1420. So no second manager and no per-length choice; SSE only where
	// AVX-512 does not start.
	const bool any = requested == AeadEngine::automatic;
	if (any || requested == AeadEngine::avx512) {
		mgr_ = start_manager(init_mb_mgr_avx512);
		engine_ = AeadEngine::avx512;
	}
	if (mgr_ == nullptr && (any || requested == AeadEngine::sse)) {
		mgr_ = start_manager(init_mb_mgr_sse);
		engine_ = AeadEngine::sse;
	}
	if (mgr_ == nullptr)
		engine_ = AeadEngine::sodium;
}

AeadBatch::~AeadBatch()
{
	if (mgr_ != nullptr)
		free_mb_mgr(mgr_);
}

bool AeadBatch::add(AeadDirection dir, const uint8_t *key, const AeadNonce &nonce, const uint8_t *ad,
                    size_t ad_len, uint8_t *data, size_t len, uint8_t *tag_out, const uint8_t *tag_in)
{
	if (n_ == capacity_)
		return false;
	Job &j = jobs_[n_++];
	j.key = key;
	j.ad = ad_len != 0 ? ad : &no_ad;
	j.data = data;
	j.tag_out = tag_out;
	j.tag_in = tag_in;
	j.len = static_cast<uint32_t>(std::min(len, aead_max_len + 1));
	j.ad_len = static_cast<uint32_t>(std::min(ad_len, aead_max_len + 1));
	j.dir = dir;
	j.status = len > aead_max_len || ad_len > aead_max_len ? AeadStatus::bad_length : AeadStatus::ok;
	j.nonce = nonce;
	return true;
}

void AeadBatch::run_sodium(Job &j)
{
	j.status = j.dir == AeadDirection::encrypt
		? sodium_encrypt(j.key, j.nonce, j.ad, j.ad_len, j.data, j.len, j.tag_out)
		: sodium_decrypt(j.key, j.nonce, j.ad, j.ad_len, j.data, j.len, j.tag_in);
}

// A job ipsec-mb hands back. One it did not complete runs on libsodium
// instead: same bytes. ipsec-mb fails a job before touching its buffers
// (argument checks), so libsodium starts from the caller's bytes. Our
// NOCHECK submit never gets one back over lengths 0..65535; the tests hand
// finish() failed jobs directly (AeadBatchTestPeer).
void AeadBatch::finish(IMB_JOB *ij)
{
	auto &j = *static_cast<Job *>(ij->user_data);
	if (ij->status != IMB_STATUS_COMPLETED) {
		run_sodium(j);
		return;
	}
	if (j.dir == AeadDirection::decrypt && crypto_verify_16(j.computed, j.tag_in) != 0) {
		// ipsec-mb decrypts while it authenticates; like libsodium, leave
		// zeros rather than unauthenticated plaintext.
		std::memset(j.data, 0, j.len);
		j.status = AeadStatus::auth_failed;
	}
}

void AeadBatch::submit(IMB_MGR *mgr, Job &j)
{
	IMB_JOB *ij = IMB_GET_NEXT_JOB(mgr);
	const bool enc = j.dir == AeadDirection::encrypt;
	ij->cipher_mode = IMB_CIPHER_CHACHA20_POLY1305;
	ij->hash_alg = IMB_AUTH_CHACHA20_POLY1305;
	ij->cipher_direction = enc ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
	ij->chain_order = enc ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
	ij->enc_keys = j.key;
	ij->dec_keys = j.key;
	ij->key_len_in_bytes = aead_key_len;
	ij->src = j.data;
	ij->dst = j.data;
	ij->cipher_start_src_offset_in_bytes = 0;
	ij->msg_len_to_cipher_in_bytes = j.len;
	ij->hash_start_src_offset_in_bytes = 0;
	ij->msg_len_to_hash_in_bytes = j.len;
	ij->iv = j.nonce.data();
	ij->iv_len_in_bytes = aead_nonce_len;
	ij->u.CHACHA20_POLY1305.aad = j.ad;
	ij->u.CHACHA20_POLY1305.aad_len_in_bytes = j.ad_len;
	ij->auth_tag_output = enc ? j.tag_out : j.computed;
	ij->auth_tag_output_len_in_bytes = aead_tag_len;
	ij->user_data = &j;
	// Without ipsec-mb's argument checks: add() bounds the lengths and this
	// function sets every field the checks read. They cost ~40 of the ~420
	// cycles a 64 B packet takes (crypto_bench, fastest batch).
	for (IMB_JOB *done = IMB_SUBMIT_JOB_NOCHECK(mgr); done != nullptr; done = IMB_GET_COMPLETED_JOB(mgr))
		finish(done);
}

void AeadBatch::flush(IMB_MGR *mgr)
{
	for (IMB_JOB *done = IMB_FLUSH_JOB(mgr); done != nullptr; done = IMB_FLUSH_JOB(mgr))
		finish(done);
}

void AeadBatch::run()
{
	for (uint16_t i = 0; i < n_; i++) {
		Job &j = jobs_[i];
		if (j.status == AeadStatus::bad_length)
			continue;
		if (mgr_ == nullptr)
			run_sodium(j);
		else
			submit(mgr_, j);
	}
	if (mgr_ != nullptr)
		flush(mgr_);
}

}  // namespace wayport
