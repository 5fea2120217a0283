/*
 * test_split.c - unit tests of the hold-out split by row hash (src/algo/prep.c).
 */
#include "prep.h"
#include "unit.h"

#include <string.h>

int
main(void)
{
	uint64_t h1, h2, h3;
	int		 in = 0, n = 200000;
	int		 same_side = 0;

	/* a row's hash depends on its values and their order, not on anything else */
	h1 = pgl_hash_value(pgl_hash_value(1, 42), 7);
	h2 = pgl_hash_value(pgl_hash_value(1, 42), 7);
	h3 = pgl_hash_value(pgl_hash_value(1, 7), 42);
	OK(h1 == h2, "same values, same hash");
	OK(h1 != h3, "the column order matters");
	OK(pgl_hash_bytes(1, "abc", 3) != pgl_hash_bytes(1, "abd", 3), "bytes: one byte differs");
	OK(pgl_hash_bytes(1, "abc", 3) != pgl_hash_bytes(1, "abc\0", 4), "bytes: the length counts");
	OK(pgl_hash_bytes(1, "0123456789abcdef!", 17) == pgl_hash_bytes(1, "0123456789abcdef!", 17),
	   "bytes over several words are stable");
	OK(pgl_hash_value(1, PGL_HASH_NULL) != pgl_hash_value(1, 0), "NULL differs from zero");

	/* the share of rows in the hold-out is about the fraction */
	for (int i = 0; i < n; i++)
	{
		uint64_t h = pgl_hash_value(pgl_hash_value(0x1234, (uint64_t) i), (uint64_t) (i % 7));

		in += pgl_hash_in_test(42, h, 0.2);
		same_side += pgl_hash_in_test(42, h, 0.2) == pgl_hash_in_test(42, h, 0.2);
	}
	OK(fabs((double) in / n - 0.2) < 0.005, "hold-out share %.4f is about 0.2", (double) in / n);
	OK(same_side == n, "the decision is a function of (seed, hash)");
	/* another seed gives another split of the same rows */
	{
		int differ = 0;

		for (int i = 0; i < 1000; i++)
		{
			uint64_t h = pgl_hash_value(0x1234, (uint64_t) i);

			differ += pgl_hash_in_test(42, h, 0.5) != pgl_hash_in_test(43, h, 0.5);
		}
		OK(differ > 400 && differ < 600, "seeds 42 and 43 disagree on %d of 1000 rows", differ);
	}
	OK(!pgl_hash_in_test(42, h1, 0.0), "fraction 0: never in the hold-out");
	return unit_done();
}
