/*
 * pop3cmd.c -- the POP3 command parser and the AUTH PLAIN decoder; see
 * pop3cmd.h.  Pure functions over bytes: no I/O, no allocation.
 *
 * Commands are looked up in one table that gives each its state and the
 * shape of its arguments; keywords are case-insensitive (RFC 1939 3),
 * arguments are separated by spaces, numbers are plain decimal.
 */
#include <string.h>
#include <textcode.h>

#include "decimal.h"
#include "pop3cmd.h"

enum arg_shape {
	ARG_NONE,	/* no argument */
	ARG_OPTNUM,	/* optional message number (LIST, UIDL) */
	ARG_NUM,	/* one message number (RETR, DELE) */
	ARG_NUM2,	/* message number and line count (TOP) */
	ARG_WORD,	/* one word (USER) */
	ARG_REST,	/* the rest of the line, spaces included (PASS) */
	ARG_AUTH	/* [mechanism [initial-response]] */
};

struct cmd_def {
	const char *name;
	enum pop3_cmd_id id;
	int states;
	enum arg_shape shape;
};

static const struct cmd_def cmds[] = {
	{ "USER", CMD_USER, POP3_ST_AUTH, ARG_WORD },
	{ "PASS", CMD_PASS, POP3_ST_AUTH, ARG_REST },
	{ "AUTH", CMD_AUTH, POP3_ST_AUTH, ARG_AUTH },
	{ "STLS", CMD_STLS, POP3_ST_AUTH, ARG_NONE },
	{ "APOP", CMD_APOP, POP3_ST_AUTH, ARG_REST },
	{ "CAPA", CMD_CAPA, POP3_ST_AUTH | POP3_ST_TRANS, ARG_NONE },
	{ "QUIT", CMD_QUIT, POP3_ST_AUTH | POP3_ST_TRANS, ARG_NONE },
	{ "STAT", CMD_STAT, POP3_ST_TRANS, ARG_NONE },
	{ "LIST", CMD_LIST, POP3_ST_TRANS, ARG_OPTNUM },
	{ "RETR", CMD_RETR, POP3_ST_TRANS, ARG_NUM },
	{ "DELE", CMD_DELE, POP3_ST_TRANS, ARG_NUM },
	{ "NOOP", CMD_NOOP, POP3_ST_TRANS, ARG_NONE },
	{ "RSET", CMD_RSET, POP3_ST_TRANS, ARG_NONE },
	{ "TOP", CMD_TOP, POP3_ST_TRANS, ARG_NUM2 },
	{ "UIDL", CMD_UIDL, POP3_ST_TRANS, ARG_OPTNUM },
	{ 0, CMD_NONE, 0, ARG_NONE }
};

const char *
pop3_cmd_name(enum pop3_cmd_id id)
{
	const struct cmd_def *d;

	for (d = cmds; d->name; d++)
		if (d->id == id)
			return d->name;
	return "?";
}

static int
upper(int c)
{
	return (c >= 'a' && c <= 'z') ? c - 'a' + 'A' : c;
}

static const struct cmd_def *
find_cmd(const char *kw, size_t len)
{
	const struct cmd_def *d;
	size_t i;

	for (d = cmds; d->name; d++) {
		if (strlen(d->name) != len)
			continue;
		for (i = 0; i < len; i++)
			if (upper((unsigned char)kw[i]) != d->name[i])
				break;
		if (i == len)
			return d;
	}
	return 0;
}

/* split off the next space-separated word at line[*pos..len) */
static int
next_word(const char *line, size_t len, size_t *pos, const char **w,
    size_t *wlen)
{
	size_t p = *pos, start;

	while (p < len && line[p] == ' ')
		p++;
	if (p >= len)
		return 0;
	start = p;
	while (p < len && line[p] != ' ')
		p++;
	*w = line + start;
	*wlen = p - start;
	*pos = p;
	return 1;
}

/* printable argument: no control characters (8-bit bytes allowed) */
static int
arg_clean(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > POP3_ARG_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 32 || (unsigned char)s[i] == 127)
			return 0;
	return 1;
}

/* read the numeric arguments of LIST, UIDL, RETR, DELE, TOP */
static int
parse_nums(const char *line, size_t len, size_t pos, unsigned int min,
    unsigned int max, struct pop3_cmd *c)
{
	const char *w;
	size_t wl;

	while (next_word(line, len, &pos, &w, &wl)) {
		if (c->nargs >= max || !decimal_parse(w, wl, 9, &c->num[c->nargs]))
			return PARSE_BADARG;
		c->nargs++;
	}
	if (c->nargs < min)
		return PARSE_BADARG;
	if (c->nargs >= 1 && c->num[0] == 0)
		return PARSE_BADARG;	/* messages are numbered from 1 */
	return PARSE_OK;
}

static int
parse_args(const struct cmd_def *d, const char *line, size_t len,
    size_t pos, struct pop3_cmd *c)
{
	const char *w;
	size_t wl;

	switch (d->shape) {
	case ARG_NONE:
		return next_word(line, len, &pos, &w, &wl) ? PARSE_BADARG :
		    PARSE_OK;
	case ARG_OPTNUM:
		return parse_nums(line, len, pos, 0, 1, c);
	case ARG_NUM:
		return parse_nums(line, len, pos, 1, 1, c);
	case ARG_NUM2:
		return parse_nums(line, len, pos, 2, 2, c);
	case ARG_WORD:
		if (!next_word(line, len, &pos, &c->arg, &c->arglen))
			return PARSE_BADARG;
		if (!arg_clean(c->arg, c->arglen) ||
		    next_word(line, len, &pos, &w, &wl))
			return PARSE_BADARG;
		c->nargs = 1;
		return PARSE_OK;
	case ARG_REST:
		/* exactly one space after the keyword, then everything */
		if (pos + 1 >= len || line[pos] != ' ')
			return PARSE_BADARG;
		c->arg = line + pos + 1;
		c->arglen = len - pos - 1;
		if (!arg_clean(c->arg, c->arglen))
			return PARSE_BADARG;
		c->nargs = 1;
		return PARSE_OK;
	case ARG_AUTH:
		if (!next_word(line, len, &pos, &c->arg, &c->arglen))
			return PARSE_OK;	/* bare AUTH: list mechanisms */
		if (!arg_clean(c->arg, c->arglen))
			return PARSE_BADARG;
		c->nargs = 1;
		if (!next_word(line, len, &pos, &c->arg2, &c->arg2len))
			return PARSE_OK;
		c->nargs = 2;
		return next_word(line, len, &pos, &w, &wl) ? PARSE_BADARG :
		    PARSE_OK;
	}
	return PARSE_BADARG;
}

int
pop3_parse(const char *line, size_t len, int state, struct pop3_cmd *c)
{
	const struct cmd_def *d;
	size_t pos = 0;

	memset(c, 0, sizeof *c);
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;		/* clients that pad with white space */
	if (len == 0)
		return PARSE_EMPTY;
	if (len > POP3_LINE_MAX)
		return PARSE_UNKNOWN;
	while (pos < len && line[pos] != ' ')
		pos++;
	d = find_cmd(line, pos);
	if (!d)
		return PARSE_UNKNOWN;
	c->id = d->id;
	if (!(d->states & state))
		return PARSE_STATE;
	return parse_args(d, line, len, pos, c);
}

static int
b64_char(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	    (ch >= '0' && ch <= '9') || ch == '+' || ch == '/';
}

/* strict base64: length a multiple of 4, padding only at the end */
static int
b64_valid(const char *s, size_t len)
{
	size_t i, pad = 0;

	if (len == 0 || len % 4)
		return 0;
	if (s[len - 1] == '=')
		pad++;
	if (len >= 2 && s[len - 2] == '=')
		pad++;
	for (i = 0; i < len - pad; i++)
		if (!b64_char((unsigned char)s[i]))
			return 0;
	return 1;
}

static int
copy_field(const char *s, size_t len, char *out)
{
	if (len > POP3_ARG_MAX || memchr(s, 0, len))
		return 0;
	memcpy(out, s, len);
	out[len] = 0;
	return 1;
}

int
pop3_plain_decode(const char *b64, size_t len, char *user, char *pass)
{
	char in[POP3_LINE_MAX + 1];
	char raw[POP3_LINE_MAX];
	size_t rawlen = 0, used;
	const char *z1, *z2, *end;

	if (len > POP3_LINE_MAX || !b64_valid(b64, len))
		return 0;
	memcpy(in, b64, len);
	in[len] = 0;
	used = scan_base64(in, raw, &rawlen);
	if (used != len || rawlen > sizeof raw)
		return 0;
	end = raw + rawlen;
	z1 = memchr(raw, 0, rawlen);
	if (!z1)
		return 0;
	z2 = memchr(z1 + 1, 0, (size_t)(end - z1 - 1));
	if (!z2 || z2 - z1 - 1 == 0 || end - z2 - 1 == 0)
		return 0;
	if (!copy_field(z1 + 1, (size_t)(z2 - z1 - 1), user) ||
	    !copy_field(z2 + 1, (size_t)(end - z2 - 1), pass))
		return 0;
	/* authzid: empty, or the same identity */
	if (z1 != raw && ((size_t)(z1 - raw) != strlen(user) ||
	    memcmp(raw, user, (size_t)(z1 - raw)) != 0))
		return 0;
	return 1;
}
