// A HostIo that keeps what the host stack sends, for tests to inspect.
#pragma once

#include <vector>

#include "controlplane/host/host_io.h"
#include "tests/dpdk/ring_port.h"

namespace wayport::test {

class RecordingIo : public HostIo {
public:
	~RecordingIo() override
	{
		for (auto *m : sent)
			rte_pktmbuf_free(m);
		for (auto *m : ready)
			rte_pktmbuf_free(m);
	}
	rte_mbuf *alloc() override { return fail_alloc ? nullptr : rte_pktmbuf_alloc(test_pool()); }
	void send(const Port &, rte_mbuf *m) override { sent.push_back(m); }
	void resolved(rte_mbuf *m) override { ready.push_back(m); }

	rte_mbuf *take_sent()
	{
		if (sent.empty())
			return nullptr;
		rte_mbuf *m = sent.front();
		sent.erase(sent.begin());
		return m;
	}

	std::vector<rte_mbuf *> sent;
	std::vector<rte_mbuf *> ready;
	bool fail_alloc = false;
};

} // namespace wayport::test
