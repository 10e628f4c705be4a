/*
 * pop3cmd.h -- pure parsing for the POP3 server: the command line parser
 * (RFC 1939, 2449, 2595, 5034), the AUTH PLAIN message decoder, the
 * LF -> CRLF and byte-stuffing transform used by RETR and TOP, and the
 * helpers that read a Maildir file name (unique name, W= size).
 *
 * Nothing here does I/O or keeps global state; every input is bounded
 * by the caller's length and every output by a documented size, so these
 * functions are the fuzzing surface of sluice-pop3d.
 */
#ifndef SLUICE_POP3CMD_H
#define SLUICE_POP3CMD_H

#include <stddef.h>

/* longest command line accepted (without CRLF).  RFC 2449 limits
 * commands to 255 octets; AUTH PLAIN initial responses may be longer
 * (RFC 5034), so the bound leaves room for three 255-byte fields. */
#define POP3_LINE_MAX 1100
#define POP3_ARG_MAX 255	/* USER name, PASS password, mechanism */
#define POP3_MSGNUM_MAX 999999999UL

enum pop3_cmd_id {
	CMD_NONE = 0,
	CMD_USER, CMD_PASS, CMD_AUTH, CMD_STLS, CMD_CAPA, CMD_QUIT,
	CMD_STAT, CMD_LIST, CMD_RETR, CMD_DELE, CMD_NOOP, CMD_RSET,
	CMD_TOP, CMD_UIDL, CMD_APOP
};

/* which state a command belongs to (RFC 1939 section 3) */
#define POP3_ST_AUTH	1	/* AUTHORIZATION */
#define POP3_ST_TRANS	2	/* TRANSACTION */

enum pop3_parse_result {
	PARSE_OK = 0,
	PARSE_EMPTY,		/* blank line */
	PARSE_UNKNOWN,		/* no such command */
	PARSE_BADARG,		/* known command, bad arguments */
	PARSE_STATE		/* known command, not valid in this state */
};

struct pop3_cmd {
	enum pop3_cmd_id id;
	unsigned int nargs;
	unsigned long num[2];		/* numeric arguments (msg, lines) */
	const char *arg;		/* USER/PASS/AUTH first argument */
	size_t arglen;
	const char *arg2;		/* AUTH initial response */
	size_t arg2len;
};

/* Parse one command line (CRLF or LF already removed) valid in state
 * (POP3_ST_AUTH or POP3_ST_TRANS).  Pointers in c point into line. */
int pop3_parse(const char *line, size_t len, int state, struct pop3_cmd *c);
/* the command's name, for logs ("USER") */
const char *pop3_cmd_name(enum pop3_cmd_id id);

/* Decode an AUTH PLAIN response (base64 of authzid\0authcid\0passwd).
 * user and pass receive NUL-terminated strings of at most POP3_ARG_MAX
 * bytes (buffers of POP3_ARG_MAX + 1).  The authzid must be empty or
 * equal to the authcid.  1 ok, 0 malformed. */
int pop3_plain_decode(const char *b64, size_t len, char *user, char *pass);

/* Message transform for RETR and TOP: LF -> CRLF (an existing CRLF is
 * kept), a line starting with '.' gets another '.'.  For TOP the header,
 * the blank line and then at most body_lines lines are sent. */
struct pop3_stuff {
	int bol;		/* at the start of a line */
	int prevcr;		/* the last byte seen was CR */
	int linelen;		/* bytes in the current line so far (capped) */
	int inbody;		/* the blank line after the header was seen */
	int limited;		/* TOP */
	unsigned long left;	/* TOP: body lines still to send */
	int done;		/* TOP limit reached: send no more */
};

void pop3_stuff_init(struct pop3_stuff *s, int limited, unsigned long lines);
/* transform in[0..inlen) into out, which must hold 2 * inlen + 1 bytes.
 * Returns the bytes written; once s->done is set the rest is ignored. */
size_t pop3_stuff_chunk(struct pop3_stuff *s, const char *in, size_t inlen,
    char *out);
/* the terminator: a CRLF if the last line was unterminated, then ".CRLF"
 * (out holds 5 bytes).  Returns the bytes written. */
size_t pop3_stuff_end(const struct pop3_stuff *s, char *out);
/* bytes the message occupies with CRLF line ends and no stuffing, as the
 * transform sends it: len plus one per LF not preceded by CR (state in
 * *prevcr across chunks, 0 at the start) */
unsigned long pop3_crlf_extra(const char *buf, size_t len, int *prevcr);

/* Maildir file names ("UNIQUE:2,FLAGS", UNIQUE may carry ",S=n,W=n").
 * The W= value (size with CRLF line ends): 1 found, 0 not. */
int maildir_name_wsize(const char *name, size_t len, unsigned long *size);
/* order of two NUL-terminated names, with runs of digits compared as
 * numbers so that "T.M9P1" comes before "T.M10P1" (delivery order for
 * the usual SECONDS.M<usec>P<pid> names); <0, 0 (equal as numbers), >0 */
int maildir_name_cmp(const char *a, const char *b);
/* length of the unique part (before ':') */
size_t maildir_name_unique(const char *name, size_t len);
/* The UIDL for a unique name (the part of the file name before ':'):
 * the name itself when it is a valid RFC 1939 unique-id (1..70 bytes in
 * 0x21..0x7E), as qmail-pop3d and Dovecot's %f report it, so clients
 * moving over keep their UIDLs; else its base before the first ','
 * (without the ",S=...,W=..." attributes) when that is valid; else the
 * hex SHA-256 of the whole unique name.  Always the same for one file.
 * out holds 71 bytes; returns the length. */
size_t pop3_uidl(const char *unique, size_t len, char *out);

#endif
