/*
 * t_tcpenv.c -- tcprules_parse on the values tcprules(1) writes, and on
 * broken ones.
 */
#include <string.h>

#include "tap.h"
#include "tcpenv.h"

static char names[512];
static size_t nset;

static int
collect(void *arg, const char *name, size_t nl, const char *value, size_t vl)
{
	(void)arg;
	strncat(names, name, nl);
	strcat(names, value ? "=" : "!");
	if (value)
		strncat(names, value, vl);
	strcat(names, ";");
	nset++;
	return 0;
}

static int
parse(const char *v, size_t len)
{
	names[0] = 0;
	nset = 0;
	return tcprules_parse(v, len, collect, 0);
}

int
main(void)
{
	CHECK(parse("", 0) == TCPRULES_ALLOW && nset == 0, "empty value allows");
	CHECK(parse("D", 2) == TCPRULES_DENY && nset == 0, "D denies");
	CHECK(parse("+RELAYCLIENT=\0+X=a b", 21) == TCPRULES_ALLOW &&
	    !strcmp(names, "RELAYCLIENT=;X=a b;"), "variables in order");
	CHECK(parse("+A=1\0D", 7) == TCPRULES_DENY && nset == 0,
	    "deny wins, nothing set");
	CHECK(parse("+GONE", 6) == TCPRULES_ALLOW && !strcmp(names, "GONE!;"),
	    "+VAR without = removes it");
	CHECK(parse("+A=1", 4) == TCPRULES_BAD, "missing final NUL");
	CHECK(parse("+=x", 4) == TCPRULES_BAD, "empty name");
	CHECK(parse("A", 2) == TCPRULES_BAD, "unknown instruction");
	CHECK(parse("+A=1\0\0", 6) == TCPRULES_BAD, "empty instruction");
	return TAP_DONE();
}
