/*
 * qsign.c -- DKIM signing in sluice-queue (see qsign.h).  Runs as sluiceq
 * inside sluice-queue; reads ROOT/dkim/DOMAIN/current and its keys.
 */
#include "qsign.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hdraddr.h"
#include "logmsg.h"

int
qsign_wanted(void)
{
	const char *e = getenv("SLUICE_DKIM");

	return !e || strcmp(e, "no") != 0;
}

struct one_addr {
	int n;
	char addr[HDRADDR_MAX + 1];
};

static int
take_addr(void *ctx, const char *a, size_t len)
{
	struct one_addr *o = ctx;

	if (++o->n > 1 || len > HDRADDR_MAX)
		return 0;
	memcpy(o->addr, a, len);
	o->addr[len] = 0;
	return 1;
}

int
qsign_from_domain(const char *v, size_t len, char *out)
{
	struct one_addr o = { 0, "" };
	const char *at;
	size_t i, n;

	if (!hdr_addrs(v, len, take_addr, &o) || o.n != 1)
		return 0;
	if (!(at = strrchr(o.addr, '@')))
		return 0;
	n = strlen(at + 1);
	if (n == 0 || n > DKIM_DOMAIN_MAX || at[1] == '.' || at[n] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		char c = at[1 + i];

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.') || (c == '.' && out[i - 1] == '.'))
			return 0;
		out[i] = c;
	}
	out[n] = 0;
	return 1;
}

/* "RSA-SELECTOR ED25519-SELECTOR\n" from DIR/DOMAIN/current */
static int
read_current(const char *path, char sel[2][DKIM_SELECTOR_MAX + 1])
{
	char buf[2 * DKIM_SELECTOR_MAX + 4];
	ssize_t r;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), k = 0;
	size_t i, j = 0;

	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	r = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (r <= 0)
		return -1;
	for (i = 0; i < (size_t)r && k < 2; i++) {
		char c = buf[i];

		if (c == ' ' || c == '\n') {
			if (!j)
				return -1;
			sel[k++][j] = 0;
			j = 0;
			continue;
		}
		if (j >= DKIM_SELECTOR_MAX || c == '/' || c == '.' ||
		    (unsigned char)c <= ' ')
			return -1;
		sel[k][j++] = c;
	}
	return k == 2 ? 1 : -1;
}

static void
keys_free(struct qsign *q)
{
	size_t i;

	for (i = 0; i < q->nkeys; i++)
		dkim_key_free(&q->keys[i]);
	q->nkeys = 0;
}

static int
keys_load(struct qsign *q, const char *dkimdir)
{
	char sel[2][DKIM_SELECTOR_MAX + 1];
	stralloc p = {0};
	int r, i;

	if (!stralloc_copys(&p, dkimdir) || !stralloc_cats(&p, "/") ||
	    !stralloc_cats(&p, q->domain) || !stralloc_cats(&p, "/current") ||
	    !stralloc_0(&p))
		return -1;
	r = read_current(p.s, sel);
	for (i = 0; r == 1 && i < 2; i++) {
		p.len = 0;
		if (!stralloc_copys(&p, dkimdir) || !stralloc_cats(&p, "/") ||
		    !stralloc_cats(&p, q->domain) || !stralloc_cats(&p, "/") ||
		    !stralloc_cats(&p, sel[i]) || !stralloc_cats(&p, ".pem") ||
		    !stralloc_0(&p) ||
		    dkim_key_load(&q->keys[q->nkeys], p.s, q->domain, sel[i]) < 0)
			r = -1;
		else
			q->nkeys++;
	}
	stralloc_free(&p);
	if (r < 0) {
		log_line("warning: cannot read the DKIM keys of ", q->domain,
		    ": the message is queued unsigned", NULL);
		keys_free(q);
	}
	return r;
}

int
qsign_begin(struct qsign *q, const char *dkimdir, const char *head,
    size_t len)
{
	const char *v;
	size_t vlen, i, n;
	int r = 0;

	memset(q, 0, sizeof *q);
	if (dkim_begin(&q->s) < 0)
		return 0;
	if (dkim_feed(&q->s, head, len) < 0 ||
	    dkim_header(&q->s, "from", &v, &vlen) != 1 ||
	    !qsign_from_domain(v, vlen, q->domain) ||
	    (r = keys_load(q, dkimdir)) <= 0) {
		dkim_end(&q->s);
		return r < 0 ? -1 : 0;
	}
	q->now = (unsigned long)time(0);
	for (i = 0; i < q->nkeys; i++) {
		if (!(n = dkim_sign_len(&q->s, &q->keys[i], q->now))) {
			qsign_free(q);
			return 0;
		}
		q->reserved += n;
	}
	q->active = 1;
	return 1;
}

void
qsign_body(struct qsign *q, const char *buf, size_t len)
{
	if (q->active)
		dkim_feed(&q->s, buf, len);
}

int
qsign_finish(struct qsign *q, stralloc *out)
{
	size_t i;

	out->len = 0;
	for (i = 0; i < q->nkeys; i++)
		if (dkim_sign(&q->s, &q->keys[i], q->now, out) < 0)
			return -1;
	return out->len == q->reserved ? 0 : -1;
}

void
qsign_free(struct qsign *q)
{
	keys_free(q);
	if (q->active || q->s.bh)
		dkim_end(&q->s);
	q->active = 0;
}
