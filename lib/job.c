/*
 * job.c -- encoding and decoding of the delivery job protocol (job.h).
 * The decoders are pure and bounded: a packet that does not follow the
 * grammar exactly is refused as a whole.
 */
#include <string.h>

#include "decimal.h"
#include "job.h"
#include "logmsg.h"
#include "packet.h"

static int
add_field(stralloc *out, const char *s, size_t len)
{
	if (memchr(s, 0, len))
		return 0;
	return stralloc_catb(out, s, len) && stralloc_catb(out, "", 1);
}

static int
add_str(stralloc *out, const char *s)
{
	return add_field(out, s, strlen(s));
}

static int
add_ulong(stralloc *out, unsigned long u)
{
	char buf[21];

	return add_str(out, ulong_str(buf, u));
}

int
job_encode(const struct job *j, stralloc *out)
{
	char kind[2] = { (char)j->kind, 0 };
	size_t i;

	out->len = 0;
	if (j->nrcpt < 1 || j->nrcpt > JOB_RCPT_MAX)
		return 0;
	if (!add_str(out, "J1") || !add_ulong(out, j->id) || !add_str(out, j->qid) ||
	    !add_str(out, kind) || !add_str(out, j->sender) ||
	    !add_ulong(out, j->arrival) || !add_ulong(out, j->offset) ||
	    !add_ulong(out, j->length) || !add_str(out, j->domain ? j->domain : ""))
		return 0;
	for (i = 0; i < j->nrcpt; i++)
		if (!add_str(out, j->rcpt[i]))
			return 0;
	return out->len <= JOB_PACKET_MAX;
}

static size_t
ulong_len(unsigned long u)
{
	size_t n = 1;

	while (u >= 10) {
		u /= 10;
		n++;
	}
	return n;
}

size_t
job_base_size(const struct job *j)
{
	return 3 + ulong_len(j->id) + 1 + strlen(j->qid) + 1 + 2 +
	    strlen(j->sender) + 1 + ulong_len(j->arrival) + 1 +
	    ulong_len(j->offset) + 1 + ulong_len(j->length) + 1 +
	    (j->domain ? strlen(j->domain) : 0) + 1;
}

/* split buf into \0-terminated fields; the packet must end with \0 */
static size_t
split_fields(char *buf, size_t len, char **f, size_t max)
{
	size_t n = 0, start = 0, i;

	if (len == 0 || buf[len - 1] != 0)
		return 0;
	for (i = 0; i < len; i++) {
		if (buf[i])
			continue;
		if (n == max)
			return 0;
		f[n++] = buf + start;
		start = i + 1;
	}
	return n;
}

/* a whole \0-terminated field of 1..19 digits */
static int
field_num(const char *f, unsigned long *u)
{
	return decimal_parse(f, strlen(f), 19, u);
}

int
job_decode(char *buf, size_t len, struct job *j)
{
	static char *f[JOB_RCPT_MAX + 9];
	size_t n, i;

	if (len > JOB_PACKET_MAX)
		return 0;
	n = split_fields(buf, len, f, JOB_RCPT_MAX + 9);
	if (n < 10 || strcmp(f[0], "J1"))
		return 0;
	if (!field_num(f[1], &j->id) || !field_num(f[5], &j->arrival) ||
	    !field_num(f[6], &j->offset) || !field_num(f[7], &j->length))
		return 0;
	if (strlen(f[3]) != 1)
		return 0;
	switch (f[3][0]) {
	case JOB_LOCAL:
		j->kind = JOB_LOCAL;
		break;
	case JOB_REMOTE:
		j->kind = JOB_REMOTE;
		break;
	default:
		return 0;
	}
	j->qid = f[2];
	j->sender = f[4];
	j->domain = f[8];
	j->nrcpt = n - 9;
	if (j->kind == JOB_LOCAL && j->nrcpt != 1)
		return 0;
	if (j->kind == JOB_REMOTE && !*j->domain)
		return 0;
	for (i = 0; i < j->nrcpt; i++) {
		if (!*f[9 + i])
			return 0;
		j->rcpt[i] = f[9 + i];
	}
	return 1;
}

int
job_result_start(stralloc *out, unsigned long id)
{
	out->len = 0;
	return add_str(out, "R1") && add_ulong(out, id) && add_str(out, "0");
}

enum job_status
job_status_of(char c)
{
	switch (c) {
	case JOB_SENT:
		return JOB_SENT;
	case JOB_DEFERRED:
		return JOB_DEFERRED;
	case JOB_FAILED:
		return JOB_FAILED;
	default:
		return JOB_NONE;
	}
}

int
job_dsn_ok(const char *s, size_t len)
{
	size_t i = 0, part, digits;

	for (part = 0; part < 3; part++) {
		digits = 0;
		while (i < len && s[i] >= '0' && s[i] <= '9' && digits < 3) {
			i++;
			digits++;
		}
		if (!digits || (part == 0 && digits != 1))
			return 0;
		if (part < 2) {
			if (i >= len || s[i] != '.')
				return 0;
			i++;
		}
	}
	if (s[0] != '2' && s[0] != '4' && s[0] != '5')
		return 0;
	if (i < len && s[i] != ' ')
		return 0;
	for (; i < len; i++)
		if ((unsigned char)s[i] < 32 || (unsigned char)s[i] > 126)
			return 0;
	return 1;
}

int
job_status_split(const char *st, enum job_status *status, char *dsn,
    const char **text)
{
	size_t n;

	if ((*status = job_status_of(st[0])) == JOB_NONE)
		return 0;
	for (n = 0; n < JOB_DSN_MAX && st[1 + n] && st[1 + n] != ' '; n++)
		dsn[n] = st[1 + n];
	dsn[n] = 0;
	if (!job_dsn_ok(st + 1, strlen(st + 1)) || (st[1 + n] != ' ' &&
	    st[1 + n]))
		return 0;
	*text = st[1 + n] ? st + 2 + n : "";
	return 1;
}

int
job_result_add(stralloc *out, enum job_status status, const char *dsn,
    const char *text, size_t textlen)
{
	char head[16];
	size_t i, hl;

	if (job_status_of((char)status) == JOB_NONE)
		return 0;
	hl = strlen(dsn);
	if (hl < 5 || hl > JOB_DSN_MAX)
		return 0;
	head[0] = (char)status;
	memcpy(head + 1, dsn, hl);
	head[hl + 1] = ' ';
	if (!stralloc_catb(out, head, hl + 2))
		return 0;
	if (textlen > JOB_TEXT_MAX)
		textlen = JOB_TEXT_MAX;
	if (!stralloc_readyplus(out, textlen + 1))
		return 0;
	for (i = 0; i < textlen; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '\r' || c == '\n' || c == '\t')
			c = ' ';
		else if (c < 32 || c > 126)
			c = '?';
		out->s[out->len++] = (char)c;
	}
	return stralloc_catb(out, "", 1);
}

/* the end of the field at s (its NUL), or 0 if none before end */
static const char *
field_end(const char *s, const char *end)
{
	return memchr(s, 0, (size_t)(end - s));
}

int
job_result_send(int sock, const char *res, size_t len)
{
	static stralloc pkt;
	const char *end = res + len, *id, *p, *e;
	size_t first = 0, hl;

	/* "R1\0ID\0FIRST\0" as job_result_start wrote it */
	if (len < 3 || memcmp(res, "R1", 3) || !(e = field_end(res + 3, end)))
		return -1;
	id = res + 3;
	p = e + 1;
	if (p >= end || !(e = field_end(p, end)))
		return -1;
	p = e + 1;
	do {
		pkt.len = 0;
		if (!add_str(&pkt, "R1") || !add_str(&pkt, id) ||
		    !add_ulong(&pkt, first))
			return -1;
		hl = pkt.len;
		while (p < end) {
			size_t fl;

			if (!(e = field_end(p, end)))
				return -1;
			fl = (size_t)(e - p) + 1;
			if (pkt.len + fl > JOB_PACKET_MAX && pkt.len > hl)
				break;
			if (pkt.len + fl > JOB_PACKET_MAX ||
			    !stralloc_catb(&pkt, p, fl))
				return -1;
			p += fl;
			first++;
		}
		if (packet_send(sock, pkt.s, pkt.len, -1) < 0)
			return -1;
	} while (p < end);
	return 0;
}

int
job_result_decode(char *buf, size_t len, struct job_result *r)
{
	static char *f[JOB_RCPT_MAX + 3];
	unsigned long first;
	size_t n, i;

	if (len > JOB_PACKET_MAX)
		return 0;
	n = split_fields(buf, len, f, JOB_RCPT_MAX + 3);
	if (n < 4 || strcmp(f[0], "R1") || !field_num(f[1], &r->id) ||
	    !field_num(f[2], &first) || first >= JOB_RCPT_MAX ||
	    n - 3 > JOB_RCPT_MAX - first)
		return 0;
	r->first = (size_t)first;
	r->n = n - 3;
	for (i = 0; i < r->n; i++) {
		const char *s = f[3 + i];
		if (job_status_of(s[0]) == JOB_NONE || strlen(s) < 7 ||
		    s[2] != '.')
			return 0;
		r->status[i] = s;
	}
	return 1;
}

size_t
job_idle_encode(char *out, unsigned long id, const char *key)
{
	char n[21];
	size_t nl, kl = strlen(key);

	if (kl > JOB_KEY_MAX)
		return 0;
	ulong_str(n, id);
	nl = strlen(n);
	memcpy(out, "I1", 3);
	memcpy(out + 3, n, nl + 1);
	memcpy(out + 3 + nl + 1, key, kl + 1);
	return 3 + nl + 1 + kl + 1;
}

int
job_idle_decode(const char *buf, size_t len, unsigned long *id,
    const char **key)
{
	const char *end = buf + len, *e;

	if (len < 6 || len > JOB_IDLE_MAX || memcmp(buf, "I1", 3) ||
	    !(e = field_end(buf + 3, end)) ||
	    !decimal_parse(buf + 3, (size_t)(e - buf - 3), 19, id))
		return 0;
	*key = e + 1;
	if (*key >= end || !(e = field_end(*key, end)) || e + 1 != end ||
	    (size_t)(e - *key) > JOB_KEY_MAX)
		return 0;
	return 1;
}
