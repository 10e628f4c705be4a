/*
 * logmsg.c -- see logmsg.h.  Writes go straight to fd 2 in one write(2)
 * per line; nothing is buffered across calls, so a fork never duplicates
 * pending log output.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/time.h>

#include "logmsg.h"

#define LINE_MAX_OUT 2048

static const char *prog = "sluice";
static char context[LOG_CONTEXT_MAX + 2];	/* "sid=... " or "" */

void
log_init(const char *p)
{
	const char *slash = strrchr(p, '/');

	prog = slash ? slash + 1 : p;
}

const char *
log_prog(void)
{
	return prog;
}

static size_t
add_safe(char *line, size_t n, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && n < LINE_MAX_OUT - 1; i++) {
		unsigned char c = (unsigned char)s[i];
		line[n++] = (c < 32 || c == 127) ? '?' : (char)c;
	}
	return n;
}

void
log_context(const char *ctx)
{
	size_t len = ctx ? strlen(ctx) : 0;

	if (len > LOG_CONTEXT_MAX)
		len = LOG_CONTEXT_MAX;
	memcpy(context, ctx ? ctx : "", len);
	if (len)
		context[len++] = ' ';
	context[len] = 0;
}

char *
log_make_sid(char *buf)
{
	static const char hex[] = "0123456789abcdef";
	struct timeval tv;
	unsigned long parts[3];
	int widths[3] = { 8, 5, 0 }, i, k;
	size_t n = 0;

	gettimeofday(&tv, 0);
	parts[0] = (unsigned long)tv.tv_sec & 0xffffffffUL;
	parts[1] = (unsigned long)tv.tv_usec;
	parts[2] = (unsigned long)getpid();
	for (i = 0; i < 3; i++) {
		char tmp[16];
		int len = 0;
		unsigned long v = parts[i];
		do {
			tmp[len++] = hex[v & 15];
			v >>= 4;
		} while (v && len < 15);
		while (len < widths[i])
			tmp[len++] = '0';
		if (i)
			buf[n++] = '.';
		for (k = len - 1; k >= 0; k--)
			buf[n++] = tmp[k];
	}
	buf[n] = 0;
	return buf;
}

/* "PROG: [qid=QID ]CONTEXT" */
static size_t
line_head(char *line, const char *qid)
{
	size_t n = 0;

	n = add_safe(line, n, prog, strlen(prog));
	n = add_safe(line, n, ": ", 2);
	if (qid) {
		n = add_safe(line, n, "qid=", 4);
		n = add_safe(line, n, qid, strnlen(qid, 64));
		n = add_safe(line, n, " ", 1);
	}
	return add_safe(line, n, context, strlen(context));
}

static void
emit_qid(const char *qid, const char *first, va_list ap, int with_errno,
    int err)
{
	char line[LINE_MAX_OUT];
	size_t n;
	const char *s;

	n = line_head(line, qid);
	for (s = first; s; s = va_arg(ap, const char *))
		n = add_safe(line, n, s, strlen(s));
	if (with_errno) {
		const char *e = strerror(err);
		n = add_safe(line, n, ": ", 2);
		n = add_safe(line, n, e, strlen(e));
	}
	line[n++] = '\n';
	while (write(2, line, n) < 0 && errno == EINTR)
		;
}

static void
emit(const char *first, va_list ap, int with_errno, int err)
{
	emit_qid(0, first, ap, with_errno, err);
}

void
log_line_qid(const char *qid, const char *s, ...)
{
	va_list ap;
	int err = errno;

	va_start(ap, s);
	emit_qid(qid, s, ap, 0, 0);
	va_end(ap);
	errno = err;
}

void
log_line(const char *s, ...)
{
	va_list ap;
	int err = errno;

	va_start(ap, s);
	emit(s, ap, 0, 0);
	va_end(ap);
	errno = err;
}

void
log_line_sys(const char *s, ...)
{
	va_list ap;
	int err = errno;

	va_start(ap, s);
	emit(s, ap, 1, err);
	va_end(ap);
	errno = err;
}

void
log_lineb(const char *prefix, const char *buf, size_t len, const char *suffix)
{
	char line[LINE_MAX_OUT];
	size_t n = line_head(line, 0);

	n = add_safe(line, n, prefix, strlen(prefix));
	n = add_safe(line, n, buf, len);
	if (suffix)
		n = add_safe(line, n, suffix, strlen(suffix));
	line[n++] = '\n';
	while (write(2, line, n) < 0 && errno == EINTR)
		;
}

void
fatal(int code, const char *s, ...)
{
	va_list ap;

	va_start(ap, s);
	emit(s, ap, 0, 0);
	va_end(ap);
	_exit(code);
}

void
fatal_sys(int code, const char *s, ...)
{
	va_list ap;
	int err = errno;

	va_start(ap, s);
	emit(s, ap, 1, err);
	va_end(ap);
	_exit(code);
}

void
fatal_nomem(int code)
{
	fatal(code, "fatal: out of memory", NULL);
}

char *
ulong_str(char *buf, unsigned long u)
{
	char tmp[21];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = 0;
	return buf;
}
