/*
 * address.c -- RFC 5321 / RFC 6531 path and mailbox parser (address.h).
 *
 * Input: bytes and flags.  Output: a struct addr in canonical form, or an
 * addr_err.  Pure: no I/O, no allocation, no global state.
 *
 * The parser follows the grammar of RFC 5321 4.1.2 and nothing looser:
 * dot-strings have no empty atoms, quoted strings hold only qtextSMTP and
 * quoted-pairSMTP, domains are LDH labels (U-labels with ADDR_UTF8), and
 * address literals are "[IPv4]" or "[IPv6:...]" checked with netaddr.
 * A source route ("<@a,@b:user@c>") is parsed and thrown away.
 *
 * Lengths (RFC 5321 4.5.3.1) count the octets as written: the local part
 * at most 64, the domain at most 255, the whole path with its angle
 * brackets (and any source route) at most 256.  A bare mailbox
 * (ADDR_NO_BRACKETS) is measured as if it had been written "<mailbox>",
 * so that every address accepted one way is accepted the other way.
 *
 * Stricter than the RFC in two places: an IPv4 literal has no leading
 * zeros (inet_pton's rule; "010" is ambiguous), and UTF-8 (with
 * ADDR_UTF8) must be well-formed and free of C1 control characters.
 * With ADDR_NO_BRACKETS | ADDR_NULL_OK, "<>" and the empty string are
 * the null path (sendmail -f '').
 *
 * Domains are lower-cased (ASCII letters only: U-labels are kept as
 * written).  Local parts keep their case (they are case-sensitive);
 * a quoted local part loses its quotes when its content is a valid
 * dot-string, and otherwise is re-quoted with the fewest backslashes.
 */
#include <string.h>
#include <strings.h>

#include "address.h"
#include "netaddr.h"

struct scanner {
	const char *s;
	size_t len;
	size_t pos;
	int flags;
	int utf8;	/* non-ASCII octets seen */
};

static void
scanner_init(struct scanner *sc, const char *s, size_t len, int flags)
{
	sc->s = s;
	sc->len = len;
	sc->pos = 0;
	sc->flags = flags;
	sc->utf8 = 0;
}

static int
is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* atext of RFC 5322 3.2.3, ASCII part */
static int
is_atext(unsigned char c)
{
	return is_alnum(c) || (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/*
 * Length of the valid UTF-8 sequence for a non-ASCII character at
 * s[0..len), or 0 if it is invalid: overlong forms, surrogates, code
 * points above U+10FFFF and the C1 control characters are refused.
 */
static size_t
utf8_seq(const unsigned char *s, size_t len)
{
	size_t n, i;
	unsigned long cp;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	n = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (len < n)
		return 0;
	cp = s[0] & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff || cp < 0xa0)
		return 0;
	return n;
}

/*
 * A non-ASCII character at the scanner position: its length, or 0 with
 * *err set (ADDR_E8BIT without ADDR_UTF8 or for a bad sequence).
 */
static size_t
nonascii(struct scanner *sc, size_t at, int *err)
{
	size_t n;

	if (!(sc->flags & ADDR_UTF8)) {
		*err = ADDR_E8BIT;
		return 0;
	}
	n = utf8_seq((const unsigned char *)sc->s + at, sc->len - at);
	if (!n)
		*err = ADDR_E8BIT;
	return n;
}

/*
 * Check that d[0..len) is a dot-string: atoms of atext (and UTF-8 with
 * ADDR_UTF8) separated by single dots.  ADDR_OK or an error.
 */
static int
check_dot_string(struct scanner *sc, size_t start, size_t end)
{
	size_t i = start, atom = 0, n;
	int err = ADDR_ESYNTAX;
	unsigned char c;

	while (i < end) {
		c = (unsigned char)sc->s[i];
		if (c == '.') {
			if (!atom)
				return ADDR_ESYNTAX;
			atom = 0;
			i++;
		} else if (c >= 0x80) {
			if (!(n = nonascii(sc, i, &err)))
				return err;
			sc->utf8 = 1;
			atom += n;
			i += n;
		} else if (is_atext(c)) {
			atom++;
			i++;
		} else
			return ADDR_ESYNTAX;
	}
	return atom ? ADDR_OK : ADDR_ESYNTAX;
}

/* 1 if the canonical content buf[0..len) is a dot-string */
static int
content_is_dot_string(const char *buf, size_t len, int flags)
{
	struct scanner sc;

	scanner_init(&sc, buf, len, flags);
	return check_dot_string(&sc, 0, len) == ADDR_OK;
}

/*
 * Quoted-string at the position: DQUOTE *(qtextSMTP / quoted-pairSMTP)
 * DQUOTE.  The unescaped content goes to out (at most outmax octets;
 * more is only counted).  Returns ADDR_OK with the content length in
 * *outlen, or an error.
 */
static int
scan_quoted(struct scanner *sc, char *out, size_t outmax, size_t *outlen)
{
	size_t o = 0, n, k;
	const char *ch;
	unsigned char c;
	int err = ADDR_ESYNTAX;

	sc->pos++;	/* opening quote */
	for (;;) {
		if (sc->pos >= sc->len)
			return ADDR_ESYNTAX;
		c = (unsigned char)sc->s[sc->pos];
		if (c == '"') {
			sc->pos++;
			*outlen = o;
			return ADDR_OK;
		}
		if (c == '\\') {	/* quoted-pairSMTP: one printable */
			if (sc->pos + 1 >= sc->len)
				return ADDR_ESYNTAX;
			c = (unsigned char)sc->s[sc->pos + 1];
			if (c < 32 || c > 126)
				return c >= 0x80 ? ADDR_E8BIT : ADDR_ESYNTAX;
			ch = sc->s + sc->pos + 1;
			n = 1;
			sc->pos += 2;
		} else if (c >= 0x80) {
			if (!(n = nonascii(sc, sc->pos, &err)))
				return err;
			sc->utf8 = 1;
			ch = sc->s + sc->pos;
			sc->pos += n;
		} else if (c < 32 || c > 126) {
			return ADDR_ESYNTAX;
		} else {
			ch = sc->s + sc->pos;
			n = 1;
			sc->pos++;
		}
		for (k = 0; k < n; k++, o++)
			if (o < outmax)
				out[o] = ch[k];
	}
}

/* canonical local part from unescaped quoted content */
static void
canon_quoted(struct addr *a, const char *content, size_t len, int flags)
{
	size_t i, o = 0;

	if (len && content_is_dot_string(content, len, flags)) {
		memcpy(a->local, content, len);
		a->local_len = len;
		a->local[len] = 0;
		return;
	}
	a->local[o++] = '"';
	for (i = 0; i < len; i++) {
		if (content[i] == '"' || content[i] == '\\')
			a->local[o++] = '\\';
		a->local[o++] = content[i];
	}
	a->local[o++] = '"';
	a->local[o] = 0;
	a->local_len = o;
}

/* Local-part = Dot-string / Quoted-string, into a->local */
static int
scan_local(struct scanner *sc, struct addr *a)
{
	char content[ADDR_LOCAL_MAX];
	size_t start = sc->pos, clen = 0;
	unsigned char c;
	int err;

	if (sc->pos < sc->len && sc->s[sc->pos] == '"') {
		err = scan_quoted(sc, content, sizeof content, &clen);
		if (err)
			return err;
		if (sc->pos - start > ADDR_LOCAL_MAX)
			return ADDR_ELOCALLONG;
		canon_quoted(a, content, clen, sc->flags);
		return ADDR_OK;
	}
	while (sc->pos < sc->len) {
		c = (unsigned char)sc->s[sc->pos];
		if (c != '.' && c < 0x80 && !is_atext(c))
			break;
		sc->pos++;
	}
	if (sc->pos == start)
		return ADDR_ESYNTAX;
	if ((err = check_dot_string(sc, start, sc->pos)))
		return err;
	if (sc->pos - start > ADDR_LOCAL_MAX)
		return ADDR_ELOCALLONG;
	a->local_len = sc->pos - start;
	memcpy(a->local, sc->s + start, a->local_len);
	a->local[a->local_len] = 0;
	return ADDR_OK;
}

/*
 * Check d[0..len) as Domain: LDH labels (U-labels with ADDR_UTF8) of
 * 1..63 octets, no leading or trailing hyphen, total at most 255.
 */
static int
check_domain(struct scanner *sc, size_t start, size_t end)
{
	size_t i = start, label = 0, n;
	int err = ADDR_EDOMAIN;
	unsigned char c, prev = 0;

	if (end == start)
		return ADDR_EDOMAIN;
	if (end - start > ADDR_DOMAIN_MAX)
		return ADDR_EDOMAINLONG;
	while (i < end) {
		c = (unsigned char)sc->s[i];
		if (c == '.') {
			if (!label || prev == '-')
				return ADDR_EDOMAIN;
			label = 0;
			i++;
		} else if (c >= 0x80) {
			if (!(n = nonascii(sc, i, &err)))
				return err;
			sc->utf8 = 1;
			label += n;
			i += n;
		} else if (is_alnum(c) || (c == '-' && label)) {
			label++;
			i++;
		} else
			return ADDR_EDOMAIN;
		if (label > 63)
			return ADDR_EDOMAIN;
		prev = c;
	}
	if (!label || prev == '-')
		return ADDR_EDOMAIN;
	return ADDR_OK;
}

int
domain_valid(const char *d, size_t len)
{
	struct scanner sc;

	scanner_init(&sc, d, len, 0);
	return check_domain(&sc, 0, len) == ADDR_OK;
}

/* a byte that can end a domain: what may follow it in a path or line */
static int
ends_domain(unsigned char c)
{
	return c < 33 || c == 127 || c == '>' || c == ',' || c == ':' ||
	    c == '<';
}

/* Domain at the position; its extent is up to the next terminator */
static int
scan_domain_span(struct scanner *sc, size_t *start)
{
	*start = sc->pos;
	while (sc->pos < sc->len && !ends_domain((unsigned char)sc->s[sc->pos]))
		sc->pos++;
	return check_domain(sc, *start, sc->pos);
}

/* "[" IPv4 "]" / "[IPv6:" IPv6 "]" */
static int
check_literal(const char *s, size_t len)
{
	struct ipaddr ip;

	if (len < 3 || s[0] != '[' || s[len - 1] != ']')
		return ADDR_EDOMAIN;
	s++;
	len -= 2;
	if (len > 5 && !strncasecmp(s, "IPv6:", 5))
		return ip_parse(s + 5, len - 5, &ip) && ip.family == 6 ?
		    ADDR_OK : ADDR_EDOMAIN;
	return ip_parse(s, len, &ip) && ip.family == 4 ?
	    ADDR_OK : ADDR_EDOMAIN;
}

/* Domain / address-literal after the "@", into a->domain */
static int
scan_domain(struct scanner *sc, struct addr *a)
{
	size_t start = sc->pos, i;
	const char *close;
	int err;

	if (sc->pos < sc->len && sc->s[sc->pos] == '[') {
		close = memchr(sc->s + sc->pos, ']', sc->len - sc->pos);
		if (!close)
			return ADDR_EDOMAIN;
		sc->pos = (size_t)(close - sc->s) + 1;
		if (sc->pos - start > ADDR_DOMAIN_MAX)
			return ADDR_EDOMAINLONG;
		if ((err = check_literal(sc->s + start, sc->pos - start)))
			return err;
		a->is_literal = 1;
		a->domain_len = sc->pos - start;
		memcpy(a->domain, sc->s + start, a->domain_len);
		a->domain[a->domain_len] = 0;
		return ADDR_OK;
	}
	if ((err = scan_domain_span(sc, &start)))
		return err;
	a->domain_len = sc->pos - start;
	for (i = 0; i < a->domain_len; i++) {
		char c = sc->s[start + i];

		a->domain[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	a->domain[a->domain_len] = 0;
	return ADDR_OK;
}

/* A-d-l ":" = At-domain *( "," At-domain ) ":", thrown away */
static int
scan_route(struct scanner *sc)
{
	size_t start;
	int err;

	for (;;) {
		if (sc->pos >= sc->len || sc->s[sc->pos] != '@')
			return ADDR_ESYNTAX;
		sc->pos++;
		if ((err = scan_domain_span(sc, &start)))
			return err;
		if (sc->pos >= sc->len)
			return ADDR_ESYNTAX;
		if (sc->s[sc->pos] == ':') {
			sc->pos++;
			return ADDR_OK;
		}
		if (sc->s[sc->pos] != ',')
			return ADDR_ESYNTAX;
		sc->pos++;
	}
}

static int
at(const struct scanner *sc, char c)
{
	return sc->pos < sc->len && sc->s[sc->pos] == c;
}

/* the null path: "<>", or empty input for a bare address */
static int
scan_null(struct scanner *sc, struct addr *a, size_t *used)
{
	if (!(sc->flags & ADDR_NULL_OK))
		return ADDR_ENULL;
	a->is_null = 1;
	*used = sc->pos;
	return ADDR_OK;
}

/* Mailbox, or a bare local part with ADDR_LOCAL_OK */
static int
scan_mailbox(struct scanner *sc, struct addr *a)
{
	int err;

	if ((err = scan_local(sc, a)))
		return err;
	if (!at(sc, '@')) {
		if (!(sc->flags & ADDR_LOCAL_OK))
			return ADDR_ESYNTAX;
		return ADDR_OK;
	}
	sc->pos++;
	if ((err = scan_domain(sc, a)))
		return err;
	a->has_domain = 1;
	return ADDR_OK;
}

static int
parse_path(const char *s, size_t len, int flags, struct addr *a,
    size_t *used)
{
	struct scanner sc;
	int brackets = !(flags & ADDR_NO_BRACKETS), err;
	size_t pathlen;

	scanner_init(&sc, s, len, flags);
	if (brackets || (len >= 2 && s[0] == '<' && s[1] == '>')) {
		if (!at(&sc, '<'))
			return ADDR_ESYNTAX;
		sc.pos++;
		if (at(&sc, '>')) {
			sc.pos++;
			return scan_null(&sc, a, used);
		}
		if (at(&sc, '@') && (err = scan_route(&sc)))
			return err;
		sc.utf8 = 0;	/* is_utf8 describes the mailbox, not the route */
	} else if (len == 0)
		return scan_null(&sc, a, used);
	if ((err = scan_mailbox(&sc, a)))
		return err;
	if (brackets) {
		if (!at(&sc, '>'))
			return ADDR_ESYNTAX;
		sc.pos++;
	}
	pathlen = sc.pos + (brackets ? 0 : 2);
	if (pathlen > ADDR_PATH_MAX)
		return ADDR_EPATHLONG;
	a->is_utf8 = sc.utf8;
	*used = sc.pos;
	return ADDR_OK;
}

int
addr_parse_prefix(const char *s, size_t len, int flags, struct addr *a,
    size_t *used)
{
	int err;

	memset(a, 0, sizeof *a);
	*used = 0;
	if ((err = parse_path(s, len, flags, a, used))) {
		memset(a, 0, sizeof *a);	/* nothing half-parsed */
		*used = 0;
	}
	return err;
}

int
addr_parse(const char *s, size_t len, int flags, struct addr *a)
{
	size_t used;
	int err;

	err = addr_parse_prefix(s, len, flags, a, &used);
	if (err == ADDR_OK && used != len) {
		memset(a, 0, sizeof *a);
		return ADDR_ESYNTAX;
	}
	return err;
}

size_t
addr_format(const struct addr *a, char *out)
{
	size_t n = 0;

	if (a->is_null) {
		out[0] = 0;
		return 0;
	}
	memcpy(out, a->local, a->local_len);
	n = a->local_len;
	if (a->has_domain) {
		out[n++] = '@';
		memcpy(out + n, a->domain, a->domain_len);
		n += a->domain_len;
	}
	out[n] = 0;
	return n;
}

const char *
addr_strerror(int err)
{
	switch (err) {
	case ADDR_OK:
		return "ok";
	case ADDR_ESYNTAX:
		return "address syntax error";
	case ADDR_ELOCALLONG:
		return "local part longer than 64 octets";
	case ADDR_EDOMAINLONG:
		return "domain longer than 255 octets";
	case ADDR_EPATHLONG:
		return "path longer than 256 octets";
	case ADDR_EDOMAIN:
		return "invalid domain or address literal";
	case ADDR_ENULL:
		return "null address not allowed here";
	case ADDR_E8BIT:
		return "non-ASCII or invalid UTF-8 in address";
	}
	return "unknown address error";
}
