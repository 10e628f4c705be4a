/*
 * fuzz_job.c -- libFuzzer target for the job, result and idle packet
 * decoders.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[JOB_PACKET_MAX + 1];
	struct job j;
	struct job_result r;

	if (size > JOB_PACKET_MAX)
		return 0;
	memcpy(buf, data, size);
	if (job_decode(buf, size, &j)) {
		size_t i;
		for (i = 0; i < j.nrcpt; i++)
			if (!j.rcpt[i] || !*j.rcpt[i])
				abort();
	}
	memcpy(buf, data, size);
	if (job_result_decode(buf, size, &r) &&
	    (r.n < 1 || r.first + r.n > JOB_RCPT_MAX))
		abort();
	{
		char again[JOB_IDLE_MAX];
		unsigned long id;
		const char *key;
		size_t l;

		if (job_idle_decode((const char *)data, size, &id, &key)) {
			/* what decodes encodes back to the same bytes, unless
			 * the number had leading zeros */
			l = job_idle_encode(again, id, key);
			if (!l || l > size || strlen(key) > JOB_KEY_MAX)
				abort();
		}
	}
	return 0;
}
