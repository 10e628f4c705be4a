/*
 * t_srs.c -- SRS addresses (lib/srs.c): rewrite and reverse, tampering,
 * age, case folding, length limits.
 */
#include <string.h>
#include <time.h>

#include "srs.h"
#include "tap.h"

#define SECRET "0123456789abcdef"
#define NOW ((time_t)1796679625)	/* 2026-12-07 */

static int
rev(const char *addr, time_t now, stralloc *out)
{
	const char *at = strrchr(addr, '@');

	return srs_reverse(addr, at ? (size_t)(at - addr) : strlen(addr),
	    SECRET, strlen(SECRET), now, out);
}

int
main(void)
{
	stralloc fw = {0}, back = {0};
	char buf[300];
	size_t i;

	CHECK(srs_forward("alice@example.org", "fwd.test", SECRET, strlen(SECRET), NOW, &fw) == 1,
	    "forward rewrites");
	CHECK(!strncmp(fw.s, "SRS0=", 5) && strstr(fw.s, "=example.org=alice@fwd.test") != NULL,
	    "SRS0=HASH=TT=domain=local@ourdomain");
	CHECK(strcspn(fw.s, "+-") == fw.len, "no recipient delimiter in it");
	CHECK(rev(fw.s, NOW, &back) == 1 && !strcmp(back.s, "alice@example.org"), "reverses");
	CHECK(rev(fw.s, NOW + 20 * 86400, &back) == 1, "valid for 20 days");
	CHECK(rev(fw.s, NOW + 23 * 86400, &back) == -1, "expired after SRS_MAX_AGE");
	strcpy(buf, fw.s);
	for (i = 0; buf[i]; i++)
		if (buf[i] >= 'a' && buf[i] <= 'z')
			buf[i] -= 'a' - 'A';
	CHECK(rev(buf, NOW, &back) == 1 && !strcasecmp(back.s, "alice@example.org"),
	    "case folded in transit still reverses");
	strcpy(buf, fw.s);
	buf[5] = buf[5] == 'a' ? 'b' : 'a';
	CHECK(rev(buf, NOW, &back) == -1, "a changed hash is refused");
	strcpy(buf, fw.s);
	memcpy(strstr(buf, "=alice@"), "=mallo@", 7);
	CHECK(rev(buf, NOW, &back) == -1, "a changed local part is refused");
	CHECK(srs_reverse(fw.s, strcspn(fw.s, "@"), "other", 5, NOW, &back) == -1,
	    "another secret refuses it");
	CHECK(rev("bob@example.test", NOW, &back) == 0, "a plain address is not SRS");
	CHECK(rev("SRS0=@x", NOW, &back) == -1 && rev("srs0=aaaaaa=aa=@x", NOW, &back) == -1 &&
	    rev("SRS0=aaaaaa=a!=d=l@x", NOW, &back) == -1, "damaged SRS addresses are refused");
	CHECK(srs_forward("", "fwd.test", SECRET, strlen(SECRET), NOW, &fw) == 0, "null sender kept");
	CHECK(srs_forward("postmaster", "fwd.test", SECRET, strlen(SECRET), NOW, &fw) == 0,
	    "unqualified sender kept");
	CHECK(srs_forward("a-very-long-local-part-indeed@a-rather-long-domain.example.org",
	    "fwd.test", SECRET, strlen(SECRET), NOW, &fw) == 0, "too long for 64 octets: kept");
	CHECK(srs_forward("x=y@d.org", "f.test", SECRET, strlen(SECRET), NOW, &fw) == 1 &&
	    rev(fw.s, NOW, &back) == 1 && !strcmp(back.s, "x=y@d.org"), "'=' in the local part survives");
	stralloc_free(&fw);
	stralloc_free(&back);
	return TAP_DONE();
}
