/*
 * logmsg.h -- one-line event logging to stderr, and fatal exits.
 *
 * Every line is "PROGRAM: word word ...\n", written with a single write(2)
 * so that lines from concurrent children never interleave, and suitable for
 * multilog (which adds the timestamp).  Control characters in logged text
 * are shown as '?', so a hostile peer cannot forge log lines.
 *
 * All variadic functions take strings terminated by a NULL pointer.
 *
 * The schema every program follows (HACKING.md "Log lines"):
 *   PROG: [qid=QID] [sid=SID] EVENT key=value key=value ... [free text]
 * qid= comes first on every line about one queued message (log_line_qid);
 * sid= is on every line of one SMTP session (log_context, set once by
 * sluice-smtpd); values never contain spaces, addresses are key=<addr>.
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

/* text put after "PROG: " on every later line (e.g. "sid=..."); the
 * string is copied (at most LOG_CONTEXT_MAX octets); NULL or "" clears */
#define LOG_CONTEXT_MAX 64
void log_context(const char *ctx);
/* like log_line, with "qid=QID " first (before the context) */
void log_line_qid(const char *qid, const char *s, ...);
/* a session id unique on this host: hex seconds, microseconds and pid
 * ("6b1726cd.05589.1f3a"); buf must hold LOG_SID_MAX octets */
#define LOG_SID_MAX 32
char *log_make_sid(char *buf);

/* print one line and exit with code */
void fatal(int code, const char *s, ...) __attribute__((noreturn));
void fatal_sys(int code, const char *s, ...) __attribute__((noreturn));
/* out of memory: one line, exit code */
void fatal_nomem(int code) __attribute__((noreturn));

/* format an unsigned long into a static-free buffer the caller owns;
 * buf must hold 21 bytes; returns buf */
char *ulong_str(char *buf, unsigned long u);

#endif
