/*
 * smtpcmd.h -- the SMTP command-line parser of sluice-smtpd.  Pure
 * functions over bytes: no I/O, no allocation, no global state.
 *
 * smtp_line_parse splits one line read from the client (with its CRLF or
 * LF) into a verb and its argument; smtp_path_parse takes the argument of
 * MAIL or RCPT apart ("FROM:<path> SIZE=123 BODY=8BITMIME SMTPUTF8").
 * Inputs are hostile: every length is bounded by the caller's buffer, NUL
 * and control characters are refused, and nothing is written past the
 * structs given.
 */
#ifndef SLUICE_SMTPCMD_H
#define SLUICE_SMTPCMD_H

#include <stddef.h>

#include "address.h"

/* longest command line accepted: RFC 5321's 512 octets plus room for
 * ESMTP parameters and an AUTH PLAIN initial response */
#define SMTP_LINE_MAX	1024

enum smtp_verb {
	V_UNKNOWN = 0,
	V_HELO, V_EHLO, V_MAIL, V_RCPT, V_DATA, V_BDAT, V_RSET, V_NOOP,
	V_QUIT, V_VRFY, V_EXPN, V_HELP, V_STARTTLS, V_AUTH,
	V_FORBIDDEN,		/* another protocol talking to us (GET, POST...) */
	V_COUNT
};

/* results of the parsers */
enum smtp_parse_err {
	SP_OK = 0,
	SP_EMPTY,		/* empty line */
	SP_BADCHAR,		/* NUL, bare CR or another control character */
	SP_SYNTAX,		/* malformed command or argument */
	SP_ADDR,		/* bad address: the addr_err is in err_addr */
	SP_PARAM,		/* unknown or unsupported ESMTP parameter */
	SP_PARAMSYNTAX		/* known parameter with a bad value */
};

struct smtp_line {
	enum smtp_verb verb;
	const char *arg;	/* points into the line; trailing blanks removed */
	size_t arglen;
};

/* BODY= values */
enum { BODY_NONE = 0, BODY_7BIT, BODY_8BITMIME };

struct smtp_path {
	struct addr addr;
	int err_addr;		/* addr_err when SP_ADDR */
	int has_size;
	unsigned long size;	/* SIZE= (MAIL only) */
	int body;		/* BODY= (MAIL only) */
	int smtputf8;		/* SMTPUTF8 (MAIL only) */
};

/* the verb's name as the table spells it ("MAIL"), for logs */
const char *smtp_verb_name(enum smtp_verb v);

/* Split line[0..len) (with its line end) into verb and argument. */
int smtp_line_parse(const char *line, size_t len, struct smtp_line *out);

/* Parse a MAIL (is_mail = 1: "FROM:") or RCPT (is_mail = 0: "TO:")
 * argument.  MAIL takes SIZE, BODY, SMTPUTF8 and AUTH (ignored); RCPT
 * takes no parameters.  addr_flags are passed to the address parser
 * (ADDR_UTF8 is always added: the caller checks addr.is_utf8 against
 * SMTPUTF8). */
int smtp_path_parse(const char *arg, size_t len, int is_mail, int addr_flags,
    struct smtp_path *out);

/* BDAT argument: "SIZE [LAST]".  SP_OK with *size and *last set. */
int smtp_bdat_parse(const char *arg, size_t len, unsigned long *size,
    int *last);

#endif
