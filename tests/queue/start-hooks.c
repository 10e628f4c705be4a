/*
 * start-hooks.c -- start_program of sluice-start-test (qstart.h), the
 * queue service the tests run: SLUICE_TEST_LOCAL and SLUICE_TEST_REMOTE,
 * when set, name programs run instead of sluice-local and sluice-remote
 * (with the same users, descriptors and protocol), so a test can put a
 * fake delivery program (tests/queue/fakedeliver.py) behind the real
 * manager.  Built into bin/ for the tests only; `make install` never
 * installs it, and the installed sluice-start has no such hook.
 */
#include <stdlib.h>
#include <string.h>

#include "../../queue/qstart.h"

char *
start_program(const char *name)
{
	const char *var = !strcmp(name, "sluice-local") ? "SLUICE_TEST_LOCAL" :
	    !strcmp(name, "sluice-remote") ? "SLUICE_TEST_REMOTE" : 0;
	char *t = var ? getenv(var) : 0;

	return t && *t ? t : start_sibling(name);
}
