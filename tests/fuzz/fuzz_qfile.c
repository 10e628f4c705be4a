/*
 * fuzz_qfile.c -- libFuzzer target for the queue's byte parsers: the
 * queue file tail (envelope + journal, queue/qfile.c), the qmail-queue
 * envelope (queue/envelope.c), the job result status split and the
 * administrator's trigger line (qf_command_parse).  The first
 * byte picks the parser.  Every pointer handed out must lie inside the
 * input, every count within its bound, and a converted envelope must
 * parse as a queue file tail again.  A parsed tail is also compacted
 * (qf_compact) and parsed again: every recipient must keep its state, and
 * a pending one its attempts and last time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../queue/envelope.h"
#include "../../queue/qfile.h"

static void
inside(const char *p, const char *buf, size_t len)
{
	if (p && (p < buf || p > buf + len))
		abort();
}

static void
check_compact(const uint8_t *data, const struct qf *q)
{
	stralloc t = {0};
	struct qf c;
	size_t i;

	if (q->env_len > q->good_len || !stralloc_copyb(&t, (const char *)data,
	    q->env_len) || !qf_compact(q, &t))
		abort();
	if (qf_parse(t.s, t.len, &c) != 1 || c.nrcpt != q->nrcpt ||
	    c.good_len != t.len || c.held != q->held || c.warned != q->warned)
		abort();
	for (i = 0; i < q->nrcpt; i++) {
		const struct qf_rcpt *a = &q->r[i], *b = &c.r[i];

		if (a->state != b->state)
			abort();
		if (!a->state && (a->attempts != b->attempts ||
		    (a->attempts && a->last != b->last)))
			abort();
	}
	qf_free(&c);
	stralloc_free(&t);
}

static void
fuzz_tail(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	struct qf q;
	size_t i;

	memcpy(buf, data, size);
	if (qf_parse(buf, size, &q) == 1) {
		if (q.nrcpt == 0 || q.nrcpt > QF_RCPT_MAX || q.good_len > size ||
		    q.level > QF_LEVEL_MAX)
			abort();
		inside(q.sender, buf, size);
		for (i = 0; i < q.nrcpt; i++) {
			inside(q.r[i].addr, buf, size);
			inside(q.r[i].status, buf, size);
			if (strlen(q.r[i].addr) > QF_ADDR_MAX)
				abort();
		}
		check_compact(data, &q);
	}
	qf_free(&q);
	free(buf);
}

static void
fuzz_envelope(const uint8_t *data, size_t size)
{
	stralloc out = {0}, tail = {0};
	size_t n, used;
	struct qf q;

	if (env_convert((const char *)data, size, &out, &n, &used) == ENV_OK) {
		if (used > size || n == 0 || n > QF_RCPT_MAX)
			abort();
		if (!stralloc_copys(&tail, "A1\nN0\n") ||
		    !stralloc_cat(&tail, &out) || !stralloc_cats(&tail, "E\n"))
			abort();
		if (qf_parse(tail.s, tail.len, &q) != 1 || q.nrcpt != n)
			abort();
		qf_free(&q);
	}
	stralloc_free(&out);
	stralloc_free(&tail);
}

static void
fuzz_status(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), dsn[16];
	enum qf_state kind;
	const char *text;

	memcpy(buf, data, size);
	buf[size] = 0;
	if (qf_status_split(buf, &kind, dsn, &text)) {
		if ((kind != QS_SENT && kind != QS_DEFERRED &&
		    kind != QS_FAILED) || kind != (enum qf_state)buf[0] ||
		    strlen(dsn) < 5 || strlen(dsn) > 11)
			abort();
		if (*text)
			inside(text, buf, size);
	}
	free(buf);
}

static void
fuzz_command(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), cmd, *id, *domain;

	memcpy(buf, data, size);
	buf[size] = 0;
	if (qf_command_parse(buf, &cmd, &id, &domain)) {
		if (!strchr("XDFHR", cmd) || !cmd || !qf_id_valid(id))
			abort();
		inside(id, buf, size);
		inside(domain, buf, size);
		if (domain && (!*domain || strlen(domain) > 255 ||
		    strpbrk(domain, " ABCDEFGHIJKLMNOPQRSTUVWXYZ")))
			abort();
	}
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0:
		fuzz_tail(data + 1, size - 1);
		break;
	case 1:
		fuzz_envelope(data + 1, size - 1);
		break;
	case 2:
		fuzz_status(data + 1, size - 1);
		break;
	default:
		fuzz_command(data + 1, size - 1);
	}
	return 0;
}
