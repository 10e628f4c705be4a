/*
 * qstart.h -- which programs sluice-start runs.
 *
 * start_program is linked in one of two ways: queue/start-prog.c (the
 * installed sluice-start) always returns BIN/NAME, the sibling of
 * sluice-start; tests/queue/start-hooks.c (sluice-start-test, built for
 * the tests and never installed) lets SLUICE_TEST_LOCAL and
 * SLUICE_TEST_REMOTE name stand-ins for sluice-local and sluice-remote.
 * So no environment variable can change what a production sluice-start,
 * running as root, executes.
 */
#ifndef SLUICE_QSTART_H
#define SLUICE_QSTART_H

/* BIN/name (sluice-start.c); the string lives until the third next call */
char *start_sibling(const char *name);
/* the program to run for name: "sluice-local", "sluice-remote", "sluice-send" */
char *start_program(const char *name);

#endif
