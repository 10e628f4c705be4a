/*
 * fuzz_smtpcmd.c -- libFuzzer target for sluice-smtpd's command parser:
 * smtp_line_parse, then the MAIL/RCPT/BDAT argument parsers and the SASL
 * decoders on whatever argument it yields.  Checks the invariants the
 * server relies on (argument inside the line, no control characters).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../smtpd/sasl.h"
#include "../../smtpd/smtpcmd.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char line[SMTP_LINE_MAX];
	struct smtp_line sl;
	struct smtp_path p;
	unsigned long n;
	int last;
	char dec[1024], user[SASL_USER_MAX + 1], pass[SASL_PASS_MAX + 1];
	long d;
	size_t i;

	if (size > sizeof line)
		return 0;
	memcpy(line, data, size);
	if (smtp_line_parse(line, size, &sl) != SP_OK)
		return 0;
	if (sl.arg < line || sl.arg + sl.arglen > line + size)
		abort();
	for (i = 0; i < sl.arglen; i++)
		if ((unsigned char)sl.arg[i] < 32 && sl.arg[i] != '\t')
			abort();
	if (smtp_path_parse(sl.arg, sl.arglen, 1, ADDR_NULL_OK, &p) == SP_OK) {
		if (p.addr.local_len > ADDR_LOCAL_MAX + 2 || p.addr.domain_len > ADDR_DOMAIN_MAX)
			abort();
	}
	(void)smtp_path_parse(sl.arg, sl.arglen, 0, ADDR_LOCAL_OK, &p);
	(void)smtp_bdat_parse(sl.arg, sl.arglen, &n, &last);
	d = sasl_b64decode(sl.arg, sl.arglen, dec, sizeof dec);
	if (d > (long)sizeof dec)
		abort();
	if (d >= 0)
		(void)sasl_plain_split(dec, (size_t)d, user, pass);
	return 0;
}
