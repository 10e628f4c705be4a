/*
 * qfile.c -- parse and format queue files (see qfile.h).  Pure functions
 * over bytes, apart from the allocation of the recipient array.
 * Hostile or torn input never crashes the parser: a malformed envelope is
 * reported, a malformed journal line is ignored.
 */
#include <stdlib.h>
#include <string.h>


#include "logmsg.h"
#include "decimal.h"
#include "qfile.h"

/* decimal number (libowfat's stralloc_catulong0 pads with NULs here) */
int
qf_catnum(stralloc *sa, unsigned long v)
{
	char b[24];

	return stralloc_cats(sa, ulong_str(b, v));
}

int
qf_head_parse(const char *head, size_t len, unsigned long *msglen)
{
	size_t i;

	if (len < QF_HEAD_LEN || memcmp(head, "SLQ1 ", 5) ||
	    head[QF_HEAD_LEN - 1] != '\n')
		return 0;
	for (i = 5; i < QF_HEAD_LEN - 2 && head[i] == '0'; i++)
		;
	return decimal_parse(head + i, QF_HEAD_LEN - 1 - i, 19, msglen);
}

void
qf_head_format(char *head, unsigned long msglen)
{
	int i;

	memcpy(head, "SLQ1 ", 5);
	for (i = QF_HEAD_LEN - 2; i >= 5; i--) {
		head[i] = (char)('0' + msglen % 10);
		msglen /= 10;
	}
	head[QF_HEAD_LEN - 1] = '\n';
}

static int
addr_ok(const char *s, size_t len)
{
	size_t i;

	if (len > QF_ADDR_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 32 || s[i] == 127)
			return 0;
	return 1;
}

/* the recipient state a record or result letter stands for (K Z D B X
 * A); 0 when it stands for none */
static int
record_kind(char c, enum qf_state *kind)
{
	switch (c) {
	case QS_SENT: case QS_DEFERRED: case QS_FAILED:
	case QS_BOUNCED: case QS_CANCELLED: case QS_ATTEMPTS:
		*kind = (enum qf_state)c;
		return 1;
	default:
		return 0;
	}
}

/* apply one journal line (NUL-terminated at line[len]); ignore bad ones */
static void
apply_record(struct qf *q, char *line, size_t len)
{
	enum qf_state kind;
	size_t i = 1, start;
	unsigned long idx, when;
	struct qf_rcpt *r;

	if (line[0] && strchr("HRL", line[0]) && len > 2 && line[1] == ' ') {
		if (!decimal_parse(line + 2, len - 2, 19, &when))
			return;
		if (line[0] == 'L')
			q->warned = 1;
		else
			q->held = line[0] == 'H';
		return;
	}
	if (len < 2 || !record_kind(line[0], &kind))
		return;
	start = i;
	while (i < len && line[i] != ' ')
		i++;
	if (!decimal_parse(line + start, i - start, 19, &idx) || idx >= q->nrcpt ||
	    i >= len)
		return;
	start = ++i;
	while (i < len && line[i] != ' ')
		i++;
	if (!decimal_parse(line + start, i - start, 19, &when))
		return;
	r = &q->r[idx];
	if (kind == QS_ATTEMPTS) {
		unsigned long n;

		if (i >= len || !decimal_parse(line + i + 1, len - i - 1, 9, &n))
			return;
		r->attempts = r->attempts + n > QF_ATTEMPTS_MAX ?
		    QF_ATTEMPTS_MAX : r->attempts + (unsigned)n;
		r->last = when;
		return;
	}
	if (kind == QS_BOUNCED || kind == QS_CANCELLED) {
		if (i != len)
			return;
		r->state = kind;
		r->last = when;
		return;
	}
	if (i >= len || !job_dsn_ok(line + i + 1, len - i - 1))
		return;
	r->status = line + i + 1;
	r->last = when;
	if (kind == QS_DEFERRED) {
		if (r->attempts < QF_ATTEMPTS_MAX)
			r->attempts++;
	} else
		r->state = kind;
}

/* split off the next line of buf[*pos..len); 0 if no whole line left */
static int
next_line(char *buf, size_t len, size_t *pos, char **line, size_t *linelen)
{
	char *nl;

	if (*pos >= len)
		return 0;
	nl = memchr(buf + *pos, '\n', len - *pos);
	if (!nl)
		return 0;
	*line = buf + *pos;
	*linelen = (size_t)(nl - *line);
	*nl = 0;
	*pos += *linelen + 1;
	return 1;
}

static size_t
count_rcpts(const char *buf, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i + 1 < len; i++)
		if (buf[i] == '\n' && buf[i + 1] == 'T')
			n++;
	return n;
}

static int
parse_envelope(char *buf, size_t len, size_t *pos, struct qf *q)
{
	char *line;
	size_t ll;
	unsigned long v;

	if (!next_line(buf, len, pos, &line, &ll) || line[0] != 'A' ||
	    !decimal_parse(line + 1, ll - 1, 19, &q->arrival))
		return 0;
	if (!next_line(buf, len, pos, &line, &ll) || line[0] != 'N' ||
	    !decimal_parse(line + 1, ll - 1, 19, &v) || v > QF_LEVEL_MAX)
		return 0;
	q->level = (int)v;
	if (!next_line(buf, len, pos, &line, &ll) || line[0] != 'F' ||
	    !addr_ok(line + 1, ll - 1))
		return 0;
	q->sender = line + 1;
	for (;;) {
		if (!next_line(buf, len, pos, &line, &ll))
			return 0;
		if (ll == 1 && line[0] == 'E')
			return q->nrcpt > 0;
		if (line[0] != 'T' || ll < 2 || !addr_ok(line + 1, ll - 1) ||
		    q->nrcpt >= QF_RCPT_MAX)
			return 0;
		q->r[q->nrcpt].addr = line + 1;
		q->nrcpt++;
	}
}

int
qf_parse(char *buf, size_t len, struct qf *q)
{
	size_t pos = 0, n;

	memset(q, 0, sizeof *q);
	n = count_rcpts(buf, len);
	if (n > QF_RCPT_MAX)
		n = QF_RCPT_MAX;
	q->r = calloc(n ? n : 1, sizeof *q->r);
	if (!q->r)
		return -1;
	if (!parse_envelope(buf, len, &pos, q))
		return 0;
	q->env_len = pos;
	q->good_len = pos + qf_apply_journal(q, buf + pos, len - pos);
	return 1;
}

size_t
qf_apply_journal(struct qf *q, char *buf, size_t len)
{
	size_t pos = 0, ll;
	char *line;

	while (next_line(buf, len, &pos, &line, &ll))
		apply_record(q, line, ll);
	return pos;
}

void
qf_free(struct qf *q)
{
	free(q->r);
	q->r = 0;
	q->nrcpt = 0;
}

/* one K/Z/D record from a status "dsn text" of the journal */
static int
status_record(stralloc *out, enum qf_state kind, size_t idx,
    unsigned long when, const char *status)
{
	char dsn[16];
	size_t n;

	for (n = 0; n < 15 && status[n] && status[n] != ' '; n++)
		dsn[n] = status[n];
	dsn[n] = 0;
	if (status[n] == ' ')
		n++;
	return qf_record(out, kind, idx, when, dsn, status + n,
	    strlen(status + n));
}

int
qf_compact(const struct qf *q, stralloc *out)
{
	size_t i;

	for (i = 0; i < q->nrcpt; i++) {
		const struct qf_rcpt *r = &q->r[i];
		unsigned extra = r->attempts;

		switch (r->state) {
		case QS_SENT:
		case QS_FAILED:
			if (!status_record(out, r->state, i, r->last,
			    r->status ? r->status : r->state == QS_SENT ?
			    "2.0.0" : "5.0.0"))
				return 0;
			continue;
		case QS_BOUNCED:
		case QS_CANCELLED:
			if (!qf_record(out, r->state, i, r->last, 0, 0, 0))
				return 0;
			continue;
		default:
			break;
		}
		if (!extra)
			continue;
		if (r->status)		/* the last Z counts one */
			extra--;
		if (extra && (!stralloc_cats(out, "A") || !qf_catnum(out, i) ||
		    !stralloc_cats(out, " ") || !qf_catnum(out, r->last) ||
		    !stralloc_cats(out, " ") || !qf_catnum(out, extra) ||
		    !stralloc_cats(out, "\n")))
			return 0;
		if (r->status && !status_record(out, QS_DEFERRED, i, r->last,
		    r->status))
			return 0;
	}
	/* the message's own state (the time of these is not kept) */
	if ((q->held && !qf_msg_record(out, 'H', 0)) ||
	    (q->warned && !qf_msg_record(out, 'L', 0)))
		return 0;
	return 1;
}

int
qf_status_split(const char *st, enum qf_state *kind, char *dsn,
    const char **text)
{
	enum job_status status;

	if (!job_status_split(st, &status, dsn, text))
		return 0;
	switch (status) {
	case JOB_SENT:
		*kind = QS_SENT;
		return 1;
	case JOB_DEFERRED:
		*kind = QS_DEFERRED;
		return 1;
	case JOB_FAILED:
		*kind = QS_FAILED;
		return 1;
	default:
		return 0;
	}
}

int
qf_record(stralloc *out, enum qf_state kind, size_t idx, unsigned long when,
    const char *dsn, const char *text, size_t textlen)
{
	char num[24];
	size_t i, max = 1000;

	num[0] = (char)kind;		/* the record's letter */
	if (!stralloc_catb(out, num, 1))
		return 0;
	if (!qf_catnum(out, idx) || !stralloc_cats(out, " ") ||
	    !qf_catnum(out, when))
		return 0;
	if (dsn) {
		if (!stralloc_cats(out, " ") || !stralloc_cats(out, dsn) ||
		    !stralloc_cats(out, " "))
			return 0;
		for (i = 0; i < textlen && i < max; i++) {
			char c = text[i];

			if ((unsigned char)c < 32 || (unsigned char)c > 126)
				c = '?';
			if (!stralloc_catb(out, &c, 1))
				return 0;
		}
	}
	return stralloc_cats(out, "\n");
}

int
qf_command_parse(char *line, char *cmd, char **id, char **domain)
{
	char *dom, *p;

	if (!line[0] || !strchr("XDFHR", line[0]) || line[1] != ' ')
		return 0;
	dom = strchr(line + 2, ' ');
	if (dom) {
		*dom++ = 0;
		if (!*dom || strlen(dom) > 255)
			return 0;
		for (p = dom; *p; p++)
			if (*p <= ' ' || *p > '~' || (*p >= 'A' && *p <= 'Z'))
				return 0;
	}
	if (!qf_id_valid(line + 2))
		return 0;
	*cmd = line[0];
	*id = line + 2;
	*domain = dom;
	return 1;
}

int
qf_msg_record(stralloc *out, char kind, unsigned long when)
{
	return stralloc_catb(out, &kind, 1) && stralloc_cats(out, " ") &&
	    qf_catnum(out, when) && stralloc_cats(out, "\n");
}

static int
hexdigit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int
qf_id_valid(const char *id)
{
	size_t i, n;

	for (i = 0; i < 13; i++)
		if (!hexdigit(id[i]))
			return 0;
	if (id[13] != '.')
		return 0;
	for (n = 0, i = 14; id[i]; i++, n++)
		if (!hexdigit(id[i]) || n >= 16)
			return 0;
	return n > 0;
}

unsigned
qf_id_bucket(const char *id)
{
	unsigned long long ino = 0;
	const char *p;

	for (p = id + 14; *p; p++)
		ino = ino * 16 + (unsigned)(*p <= '9' ? *p - '0' : *p - 'a' + 10);
	return (unsigned)(ino % QF_BUCKETS);
}

static void
put_hex(char *out, unsigned long long v, int width)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = width - 1; i >= 0; i--) {
		out[i] = hex[v & 15];
		v >>= 4;
	}
}

void
qf_id_make(char *id, unsigned long sec, unsigned long usec,
    unsigned long long ino)
{
	char tmp[17];
	int n = 0;

	put_hex(id, sec & 0xffffffffUL, 8);
	put_hex(id + 8, usec & 0xfffff, 5);
	id[13] = '.';
	do {
		tmp[n++] = "0123456789abcdef"[ino & 15];
		ino >>= 4;
	} while (ino && n < 16);
	for (int i = 0; i < n; i++)
		id[14 + i] = tmp[n - 1 - i];
	id[14 + n] = 0;
}

int
qf_mess_path(stralloc *sa, const char *id)
{
	char b[3];
	unsigned k = qf_id_bucket(id);

	b[0] = (char)('0' + k / 10);
	b[1] = (char)('0' + k % 10);
	b[2] = 0;
	return stralloc_copys(sa, "mess/") && stralloc_cats(sa, b) &&
	    stralloc_cats(sa, "/") && stralloc_cats(sa, id) && stralloc_0(sa);
}

unsigned long
qf_retry_at(unsigned attempts, unsigned long last, unsigned long rmin,
    unsigned long rmax)
{
	unsigned long delay = rmin;
	unsigned i;

	for (i = 1; i < attempts && delay < rmax; i++)
		delay *= 2;
	if (delay > rmax)
		delay = rmax;
	return last + delay;
}

const char *
qf_state_name(enum qf_state state)
{
	switch (state) {
	case QS_SENT: return "delivered";
	case QS_FAILED: return "failed";
	case QS_BOUNCED: return "bounced";
	case QS_CANCELLED: return "cancelled";
	default: return "pending";
	}
}
