/*
 * fuzz_smtpdata.c -- libFuzzer target for sluice-smtpd's DATA/BDAT state
 * machine.  The first octet picks the mode and the chunk size; the input
 * is fed in chunks and the result must not depend on the split (checked
 * against a one-octet-at-a-time run), the output is never longer than
 * the input, and nothing is consumed after the end marker.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../smtpd/smtpdata.h"

static size_t
run(const uint8_t *in, size_t len, size_t step, int binary, char *out,
    struct smtp_data *d)
{
	size_t pos = 0, total = 0, o;

	smtp_data_init(d, binary);
	while (pos < len && !d->done) {
		size_t n = len - pos < step ? len - pos : step;
		size_t used = smtp_data_feed(d, (const char *)in + pos, n, out + total, &o);

		if (used > n || o > used + 0)
			abort();
		if (used < n && !d->done)
			abort();
		total += o;
		pos += used;
	}
	if (binary)
		smtp_data_finish(d);
	return total;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out1[1 << 17], out2[1 << 17];
	struct smtp_data a, b;
	size_t n1, n2, step;
	int binary;

	if (size < 1 || size > sizeof out1)
		return 0;
	binary = data[0] & 1;
	step = (size_t)(data[0] >> 1) + 1;
	n1 = run(data + 1, size - 1, step, binary, out1, &a);
	n2 = run(data + 1, size - 1, 1, binary, out2, &b);
	if (n1 != n2 || memcmp(out1, out2, n1) || a.done != b.done ||
	    a.err != b.err || a.size != b.size || a.received != b.received)
		abort();
	if (n1 > size - 1)
		abort();
	return 0;
}
