// Batched WireGuard data AEAD over Intel ipsec-mb: VPP's crypto shape.
// One pass adds a job per packet (add_encrypt / add_decrypt), one call
// runs them all (run), one pass reads each job's status (status).
//
// Owned by one worker: no locks, nothing shared. Construction allocates
// (the job slots, the ipsec-mb manager) and calls sodium_init(); after
// that add, run and status allocate nothing, throw nothing, take no lock
// and make no syscall. Every pointer handed to add_* (key, data, tag, AD)
// must stay valid until run() returns; data is encrypted or decrypted in
// place, so a worker passes its mbufs' data pointers.
//
// Engines. One ipsec-mb manager per batch: AVX-512 when the CPU has it,
// else SSE. The per-length split between the two that the issue proposed
// does not pay in batches (measured in aead_batch.cpp). If no ipsec-mb
// manager starts (allocation fails, or the CPU lacks what the library
// checks for), every job runs on libsodium's single-packet path: the same
// bytes, about twice the cycles at 64 B and four times at 1420 B
// (crypto_bench).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "dataplane/crypto/aead.h"

struct IMB_MGR;
struct IMB_JOB;

namespace wayport {

enum class AeadEngine : uint8_t {
	automatic,  // the first of avx512, sse, sodium that starts
	avx512,     // ipsec-mb's AVX-512 code (benchmarks, tests)
	sse,        // ipsec-mb's SSE code
	sodium,     // libsodium
};

const char *aead_engine_name(AeadEngine e);

class AeadBatch {
public:
	static constexpr uint16_t max_capacity = 256;  // IMB_MAX_JOBS, ipsec-mb's queue

	// capacity is clamped to 1..max_capacity. The engine actually running
	// is engine(): automatic resolves to one of the others, and a requested
	// ipsec-mb engine that cannot start falls back to libsodium.
	explicit AeadBatch(uint16_t capacity = max_capacity, AeadEngine requested = AeadEngine::automatic);
	~AeadBatch();
	AeadBatch(const AeadBatch &) = delete;
	AeadBatch &operator=(const AeadBatch &) = delete;

	AeadEngine engine() const { return engine_; }
	uint16_t capacity() const { return capacity_; }
	uint16_t size() const { return n_; }
	bool full() const { return n_ == capacity_; }

	// WireGuard's messages: nonce from counter, empty AD. Jobs are numbered
	// 0, 1, ... in the order they are added; false when the batch is full.
	bool add_encrypt(const uint8_t *key, uint64_t counter, uint8_t *data, size_t len, uint8_t *tag_out)
	{
		return add(AeadDirection::encrypt, key, wg_nonce(counter), nullptr, 0, data, len, tag_out, nullptr);
	}
	bool add_decrypt(const uint8_t *key, uint64_t counter, uint8_t *data, size_t len, const uint8_t *tag_in)
	{
		return add(AeadDirection::decrypt, key, wg_nonce(counter), nullptr, 0, data, len, nullptr, tag_in);
	}

	// Any IETF ChaCha20-Poly1305 message, with its own nonce and AD (the
	// RFC 8439 vectors).
	bool add_encrypt(const uint8_t *key, const AeadNonce &nonce, const uint8_t *ad, size_t ad_len,
	                 uint8_t *data, size_t len, uint8_t *tag_out)
	{
		return add(AeadDirection::encrypt, key, nonce, ad, ad_len, data, len, tag_out, nullptr);
	}
	bool add_decrypt(const uint8_t *key, const AeadNonce &nonce, const uint8_t *ad, size_t ad_len,
	                 uint8_t *data, size_t len, const uint8_t *tag_in)
	{
		return add(AeadDirection::decrypt, key, nonce, ad, ad_len, data, len, nullptr, tag_in);
	}

	// Runs every job added since the last clear(); then status(i) holds job i's.
	void run();
	AeadStatus status(uint16_t i) const { return jobs_[i].status; }

	// Empties the batch for the next round of add calls.
	void clear() { n_ = 0; }

private:
	struct Job {
		const uint8_t *key;
		const uint8_t *ad;
		uint8_t *data;
		uint8_t *tag_out;       // encryption writes the tag here
		const uint8_t *tag_in;  // decryption compares computed with it
		uint32_t len;
		uint32_t ad_len;
		AeadDirection dir;
		AeadStatus status;
		AeadNonce nonce;
		uint8_t computed[aead_tag_len];
	};

	// tests/crypto hands finish() jobs as ipsec-mb returns them, failed ones
	// included, which the NOCHECK submit never produces.
	friend struct AeadBatchTestPeer;

	bool add(AeadDirection dir, const uint8_t *key, const AeadNonce &nonce, const uint8_t *ad, size_t ad_len,
	         uint8_t *data, size_t len, uint8_t *tag_out, const uint8_t *tag_in);
	static void submit(IMB_MGR *mgr, Job &j);
	static void finish(IMB_JOB *ij);
	static void flush(IMB_MGR *mgr);
	static void run_sodium(Job &j);

	std::unique_ptr<Job[]> jobs_;
	uint16_t capacity_;
	uint16_t n_ = 0;
	AeadEngine engine_;
	IMB_MGR *mgr_ = nullptr;  // null: libsodium
};

}  // namespace wayport
