/*
 * tap.h -- minimal test output for C unit tests: one "ok N - name" or
 * "not ok N - name" line per check, counted by tests/run.py.
 */
#ifndef SLUICE_TAP_H
#define SLUICE_TAP_H

#include <stdio.h>

static int tap_n, tap_failed;

#define CHECK(cond, name) do { \
	tap_n++; \
	if (cond) \
		printf("ok %d - %s\n", tap_n, (name)); \
	else { \
		tap_failed++; \
		printf("not ok %d - %s (%s:%d)\n", tap_n, (name), __FILE__, __LINE__); \
	} \
} while (0)

#define TAP_DONE() (fflush(stdout), tap_failed ? 1 : 0)

#endif
