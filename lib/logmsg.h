/*
 * logmsg.h -- one-line event logging to stderr, and fatal exits.
 *
 * Every line is "PROGRAM: word word ...\n", written with a single write(2)
 * so that lines from concurrent children never interleave, and suitable for
 * multilog (which adds the timestamp).  Control characters in logged text
 * are shown as '?', so a hostile peer cannot forge log lines.
 *
 * All variadic functions take strings terminated by a NULL pointer.
 */
#ifndef SLUICE_LOGMSG_H
#define SLUICE_LOGMSG_H

#include <stddef.h>

void log_init(const char *progname);		/* set the prefix */
const char *log_prog(void);
void log_line(const char *s, ...);		/* strings, NULL-terminated */
void log_line_sys(const char *s, ...);		/* ...then ": " strerror(errno) */
/* append a counted, possibly hostile string safely (for one line) */
void log_lineb(const char *prefix, const char *buf, size_t len, const char *suffix);

/* print one line and exit with code */
void fatal(int code, const char *s, ...) __attribute__((noreturn));
void fatal_sys(int code, const char *s, ...) __attribute__((noreturn));
/* out of memory: one line, exit code */
void fatal_nomem(int code) __attribute__((noreturn));

/* format an unsigned long into a static-free buffer the caller owns;
 * buf must hold 21 bytes; returns buf */
char *ulong_str(char *buf, unsigned long u);

#endif
