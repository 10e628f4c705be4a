/*
 * sluice-qstat -- count the queue: messages, recipients by state, and
 * injections in progress (files in tmp/).
 *
 *   sluice-qstat       the counts
 *   sluice-qstat -d    recipients still to deliver (pending, deferred or
 *                      held) by destination domain and by the age of their
 *                      message, as Postfix's qshape: columns of minutes
 *                      T (total), 5, 10, 20, 40, 80, 160, 320, 640, 1280,
 *                      1280+ (a column counts ages up to its figure and
 *                      above the previous one); a TOTAL line first, then
 *                      the domains, most recipients first
 *
 * Run as root or in group sluiceq; reads ROOT/queue only.  Exit 0, 1 for
 * bad usage, or 111 if it cannot read the queue.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exitcodes.h"
#include "logmsg.h"
#include "qscan.h"
#include "qtool.h"

#define AGES		10		/* age columns; the last is open */
#define DOM_HASH	4096
#define DOM_MAX		100000		/* domains shown at most */

static const unsigned long age_max[AGES - 1] =	/* minutes */
	{ 5, 10, 20, 40, 80, 160, 320, 640, 1280 };

struct dcount {
	struct dcount *next;
	unsigned long n[AGES], total;
	char name[];
};

static struct dcount *dhash[DOM_HASH];
static struct dcount **dlist;
static size_t ndom, nsum;
static unsigned long now, sum[AGES], sumtotal;

struct counts {
	unsigned long msgs, pending, deferred, failed, done, bytes;
};

static void
count(const char *id, void *ctx)
{
	struct counts *c = ctx;
	struct qmsg m;
	size_t i;

	if (!qtool_load(id, &m))
		return;
	c->msgs++;
	c->bytes += m.msglen;
	for (i = 0; i < m.q.nrcpt; i++) {
		const struct qf_rcpt *r = &m.q.r[i];

		if (r->state == 'D')
			c->failed++;
		else if (r->state)
			c->done++;
		else if (r->attempts)
			c->deferred++;
		else
			c->pending++;
	}
	qtool_free(&m);
}

static unsigned long
tmp_files(void)
{
	DIR *d = qscan_fdopendir(AT_FDCWD, "tmp");
	struct dirent *e;
	unsigned long n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static struct dcount *
dom_get(const char *name)
{
	unsigned h = 5381;
	const char *p;
	struct dcount *d, **l;
	char *q;

	for (p = name; *p; p++)
		h = h * 33 + (unsigned char)(*p | 0x20);
	for (d = dhash[h % DOM_HASH]; d; d = d->next)
		if (!strcasecmp(d->name, name))
			return d;
	if (ndom >= DOM_MAX)
		return 0;
	d = calloc(1, sizeof *d + strlen(name) + 1);
	l = realloc(dlist, (ndom + 1) * sizeof *dlist);
	if (!d || !l)
		fatal_nomem(EX_SL_TEMP);
	strcpy(d->name, name);
	for (q = d->name; *q; q++)
		if (*q >= 'A' && *q <= 'Z')
			*q = (char)(*q - 'A' + 'a');
	d->next = dhash[h % DOM_HASH];
	dhash[h % DOM_HASH] = d;
	dlist = l;
	dlist[ndom++] = d;
	return d;
}

static void
shape_one(const char *id, void *ctx)
{
	struct qmsg m;
	unsigned long age;
	size_t i, col = 0;

	if (!qtool_load(id, &m))
		return;
	age = now > m.q.arrival ? (now - m.q.arrival) / 60 : 0;
	while (col < AGES - 1 && age >= age_max[col])
		col++;
	for (i = 0; i < m.q.nrcpt; i++) {
		const char *at = strrchr(m.q.r[i].addr, '@');
		struct dcount *d;

		if (m.q.r[i].state)
			continue;	/* delivered, failed or done */
		d = dom_get(at ? at + 1 : "(no domain)");
		if (!d) {
			nsum++;
			continue;
		}
		d->n[col]++;
		d->total++;
		sum[col]++;
		sumtotal++;
	}
	qtool_free(&m);
}

static int
by_total(const void *a, const void *b)
{
	const struct dcount *x = *(struct dcount *const *)a;
	const struct dcount *y = *(struct dcount *const *)b;

	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	return strcmp(x->name, y->name);
}

static void
shape_line(const char *name, unsigned long total, const unsigned long *n)
{
	size_t i;

	printf("%30s %6lu", name, total);
	for (i = 0; i < AGES; i++)
		printf(" %5lu", n[i]);
	putchar('\n');
}

static int
shape(void)
{
	size_t i;
	char num[24];

	now = (unsigned long)time(0);
	qscan_ids(shape_one, 0);
	qsort(dlist, ndom, sizeof *dlist, by_total);
	printf("%30s %6s", "", "T");
	for (i = 0; i < AGES - 1; i++)
		printf(" %5lu", age_max[i]);
	printf(" %5s\n", "1280+");
	shape_line("TOTAL", sumtotal, sum);
	for (i = 0; i < ndom; i++)
		shape_line(dlist[i]->name, dlist[i]->total, dlist[i]->n);
	if (nsum)
		log_line("warning: more than 100000 domains; ",
		    ulong_str(num, nsum), " recipients not counted", NULL);
	return fflush(stdout) ? EX_SL_TEMP : EX_SL_OK;
}

int
main(int argc, char **argv)
{
	struct counts c = { 0, 0, 0, 0, 0, 0 };

	log_init("sluice-qstat");
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "-d")))
		fatal(EX_SL_USAGE, "usage: sluice-qstat [-d]", NULL);
	qtool_enter();
	if (argc == 2)
		return shape();
	qscan_ids(count, &c);
	printf("messages: %lu (%lu bytes)\n", c.msgs, c.bytes);
	printf("recipients pending: %lu\n", c.pending);
	printf("recipients deferred: %lu\n", c.deferred);
	printf("recipients failed, bounce pending: %lu\n", c.failed);
	printf("recipients done: %lu\n", c.done);
	printf("injections in progress: %lu\n", tmp_files());
	return fflush(stdout) ? EX_SL_TEMP : EX_SL_OK;
}
