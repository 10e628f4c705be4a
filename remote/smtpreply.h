/*
 * smtpreply.h -- parsing what an SMTP server says to the client: replies
 * (one or more lines "NNN-text" ... "NNN text", RFC 5321 4.2), enhanced
 * status codes (RFC 3463) and EHLO keywords (RFC 5321 4.1.1.1).
 * Pure functions over bytes; no I/O.
 */
#ifndef SLUICE_SMTPREPLY_H
#define SLUICE_SMTPREPLY_H

#include <stddef.h>

#define REPLY_LINES_MAX	100	/* more continuation lines: malformed */
#define REPLY_TEXT_MAX	400	/* text kept for logs and bounces */

struct smtp_reply {
	int code;		/* 200..599 once the first line is read */
	int done;		/* the last line has been read */
	size_t nlines;
	size_t textlen;
	char text[REPLY_TEXT_MAX + 1];	/* "250 first line; next line ..." */
};

struct ehlo_caps {
	int starttls, pipelining, eightbitmime, smtputf8, size;
	int auth_plain, auth_login;
	unsigned long size_max;	/* 0: no limit announced */
};

void smtp_reply_init(struct smtp_reply *r);
/* feed one line (CR LF or LF at the end is ignored).
 * 1 the reply is complete, 0 more lines follow, -1 malformed. */
int smtp_reply_feed(struct smtp_reply *r, const char *line, size_t len);
/* the enhanced status code of a complete reply, "X.Y.Z" (NUL-terminated,
 * at most 11 bytes + NUL) when its text starts with one of the reply's
 * class, else "X.0.0" from the reply code */
void smtp_reply_dsn(const struct smtp_reply *r, char dsn[12]);

void ehlo_caps_init(struct ehlo_caps *c);
/* one line of an EHLO reply after the first, without "250-" or "250 " */
void ehlo_caps_line(struct ehlo_caps *c, const char *s, size_t len);

#endif
