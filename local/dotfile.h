/*
 * dotfile.h -- the per-user delivery file HOME/.sluice, parsed.
 *
 * Pure: dotfile_parse works on bytes and touches nothing.  One
 * instruction per line, in the spirit of qmail's .qmail:
 *   # comment                 ignored, as are blank lines
 *   &ADDRESS  or  ADDRESS     forward (same envelope sender)
 *   ./DIR/  or  /PATH/DIR/    deliver to a Maildir (must end with '/')
 *   |COMMAND                  pipe to a program (only when the domain has
 *                             the "programs" option; checked by the caller)
 * Leading and trailing blanks (and a CR) are trimmed.  A line without '/' at the end that starts
 * with '.' or '/' would be an mbox in qmail: refused, as is a NUL byte,
 * a line longer than DOT_LINE_MAX, or more than DOT_LINES_MAX instructions.
 * The whole file is parsed before anything is delivered, so a bad line
 * means nothing happens (the caller defers with the reason).
 */
#ifndef SLUICE_LOCAL_DOTFILE_H
#define SLUICE_LOCAL_DOTFILE_H

#include <stddef.h>

#define DOT_FILE_MAX	65536
#define DOT_LINE_MAX	1000
#define DOT_LINES_MAX	100

enum { DOT_FORWARD = 1, DOT_MAILDIR, DOT_PROGRAM };

struct dot_line {
	int kind;
	unsigned int lineno;	/* 1-based, for error messages */
	const char *arg;	/* points into the caller's buffer, NUL-ended */
	size_t len;
};

struct dotfile {
	size_t n;
	struct dot_line line[DOT_LINES_MAX];
	unsigned int errline;	/* on failure: the line at fault */
	const char *why;	/* on failure: why, as text */
};

/* Parse buf[0..len) in place (line ends become NUL, so buf[len] must be
 * writable too; buf must stay alive while d is used).  1 ok (d->n may be 0: default delivery), 0 bad file
 * (d->errline, d->why set). */
int dotfile_parse(char *buf, size_t len, struct dotfile *d);

#endif
