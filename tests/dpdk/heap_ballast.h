// Makes the DPDK heap too full for one more large block, for tests of what
// a slow path does when an allocation fails: it holds every block of the
// given size the heap can still give (smaller allocations still succeed
// from what is left) and frees them when it goes.
#pragma once

#include <rte_malloc.h>

#include <cstddef>
#include <vector>

namespace wayport::test {

class HeapBallast {
public:
	explicit HeapBallast(size_t block)
	{
		while (void *p = rte_malloc("test_ballast", block, 0))
			blocks_.push_back(p);
	}
	~HeapBallast()
	{
		for (void *p : blocks_)
			rte_free(p);
	}
	HeapBallast(const HeapBallast &) = delete;
	HeapBallast &operator=(const HeapBallast &) = delete;

private:
	std::vector<void *> blocks_;
};

} // namespace wayport::test
