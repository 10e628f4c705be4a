/*
 * sluice-report -- a summary of an instance's logs for the postmaster and
 * the abuse desk, in the spirit of pflogsumm: per-day volumes (UTC),
 * top senders by login and by client IP, rejections by reason, deferrals
 * by destination domain, failed logins by client IP.
 *
 *   sluice-report [-n N] [FILE...]
 *
 * Without FILE it reads every service's log under ROOT/log (the rotated
 * multilog files @*.s and *.u, then current).  Lines are parsed by
 * logparse.c; the TAI64N timestamps multilog writes give the day.  -n sets
 * how many entries each top list shows (default 10).
 *
 * Runs as root or as the log owner (sluicel); reads only the files named
 * or ROOT/log, writes the report on stdout.  Input lines longer than
 * LINE_MAX_IN are skipped; at most KEYS_MAX distinct names are counted per
 * list (the rest go to "(others)").  Exit 0, 1 on a bad argument, 111
 * when a file cannot be read.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control.h"
#include "decimal.h"
#include "exitcodes.h"
#include "logmsg.h"
#include "logparse.h"

#define LINE_MAX_IN 4096
#define KEYS_MAX 100000
#define DAYS_MAX 4000

struct count {
	char *key;
	unsigned long n;
};

struct tally {
	const char *title;
	struct count *c;
	size_t n, cap;
	size_t *slot;		/* open addressing: index + 1, 0 empty */
	size_t nslots;		/* a power of two, > 2 n */
	unsigned long others;
};

enum { D_RECEIVED, D_SENT, D_DEFERRED, D_BOUNCED, D_REFUSED, D_AUTHFAIL,
	D_COLS };

struct day {
	char date[11];
	unsigned long n[D_COLS];
};

static struct tally users, ips, reasons, deferrals, authfails;
static struct day days[DAYS_MAX + 1];	/* the last one: unknown dates */
static size_t ndays;

static size_t
hash(const char *k)
{
	size_t h = 5381;

	while (*k)
		h = (h * 33) ^ (unsigned char)*k++;
	return h;
}

/* a bigger slot table with every key put again */
static void
rehash(struct tally *t)
{
	size_t ns = t->nslots ? t->nslots * 2 : 256, i, h;
	size_t *slot = calloc(ns, sizeof *slot);

	if (!slot)
		fatal_nomem(EX_SL_TEMP);
	for (i = 0; i < t->n; i++) {
		for (h = hash(t->c[i].key) & (ns - 1); slot[h]; h = (h + 1) & (ns - 1))
			;
		slot[h] = i + 1;
	}
	free(t->slot);
	t->slot = slot;
	t->nslots = ns;
}

static void
tally_add(struct tally *t, const char *key)
{
	size_t h;

	if (!*key)
		return;
	if (2 * (t->n + 1) >= t->nslots)
		rehash(t);
	for (h = hash(key) & (t->nslots - 1); t->slot[h];
	    h = (h + 1) & (t->nslots - 1))
		if (!strcmp(t->c[t->slot[h] - 1].key, key)) {
			t->c[t->slot[h] - 1].n++;
			return;
		}
	if (t->n == KEYS_MAX) {
		t->others++;
		return;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct count *c = realloc(t->c, cap * sizeof *c);
		if (!c)
			fatal_nomem(EX_SL_TEMP);
		t->c = c;
		t->cap = cap;
	}
	t->c[t->n].key = strdup(key);
	if (!t->c[t->n].key)
		fatal_nomem(EX_SL_TEMP);
	t->c[t->n].n = 1;
	t->slot[h] = ++t->n;
}

static struct day *
day_of(unsigned long long when)
{
	struct tm tm;
	time_t t = (time_t)when;
	char date[11];
	size_t i;

	if (!when || !gmtime_r(&t, &tm) ||
	    !strftime(date, sizeof date, "%Y-%m-%d", &tm))
		strcpy(date, "(no date)");
	for (i = ndays; i-- > 0; )
		if (!strcmp(days[i].date, date))
			return &days[i];
	if (ndays == DAYS_MAX) {
		strcpy(days[DAYS_MAX].date, "(other)");
		return &days[DAYS_MAX];
	}
	strcpy(days[ndays].date, date);
	return &days[ndays++];
}

static void
count_line(const char *line, size_t len)
{
	struct logrec r;
	struct day *d;

	if (logrec_parse(line, len, &r) == LK_OTHER)
		return;
	d = day_of(r.when);
	switch (r.kind) {
	case LK_QUEUED:
		d->n[D_RECEIVED]++;
		tally_add(&users, r.user);
		tally_add(&ips, r.ip);
		break;
	case LK_SENT:
		d->n[D_SENT]++;
		break;
	case LK_DEFERRED:
		d->n[D_DEFERRED]++;
		tally_add(&deferrals, r.domain);
		break;
	case LK_BOUNCED:
		d->n[D_BOUNCED]++;
		break;
	case LK_REFUSED:
		d->n[D_REFUSED]++;
		tally_add(&reasons, r.reason);
		break;
	case LK_AUTHFAIL:
		d->n[D_AUTHFAIL]++;
		tally_add(&authfails, r.ip);
		break;
	default:
		break;
	}
}

/* 0 ok, -1 cannot open */
static int
read_file(const char *path)
{
	char line[LINE_MAX_IN];
	FILE *f = fopen(path, "r");
	int skipping = 0;
	size_t len;

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		len = strlen(line);
		if (len && line[len - 1] == '\n') {
			if (!skipping)
				count_line(line, len - 1);
			skipping = 0;
		} else if (len == sizeof line - 1)
			skipping = 1;	/* too long: drop the whole line */
		else if (!skipping)
			count_line(line, len);	/* last line without LF */
	}
	fclose(f);
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
is_log_file(const char *n)
{
	size_t len = strlen(n);

	if (!strcmp(n, "current"))
		return 1;
	return n[0] == '@' && len > 2 && n[len - 2] == '.' &&
	    (n[len - 1] == 's' || n[len - 1] == 'u');
}

/* every service's logs under ROOT/log, oldest files first */
static int
read_instance_logs(void)
{
	stralloc base = {0};
	DIR *d, *sd;
	struct dirent *e, *f;
	char *names[4096], path[8192];
	size_t n, i;
	int bad = 0;

	if (!instance_path(&base, "log") || !(d = opendir(base.s)))
		fatal_sys(EX_SL_TEMP, "cannot read ", base.s ? base.s : "log",
		    NULL);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' ||
		    strlen(base.s) + strlen(e->d_name) + 300 > sizeof path)
			continue;
		snprintf(path, sizeof path, "%s/%s", base.s, e->d_name);
		if (!(sd = opendir(path)))
			continue;
		n = 0;
		while ((f = readdir(sd)) && n < 4096) {
			if (!is_log_file(f->d_name))
				continue;
			if (!(names[n++] = strdup(f->d_name)))
				fatal_nomem(EX_SL_TEMP);
		}
		closedir(sd);
		/* "@..." sorts before "current", and by time among themselves */
		qsort(names, n, sizeof *names, name_cmp);
		for (i = 0; i < n; i++) {
			snprintf(path, sizeof path, "%s/%s/%s", base.s,
			    e->d_name, names[i]);
			if (read_file(path) < 0) {
				log_line_sys("cannot read ", path, NULL);
				bad = 1;
			}
			free(names[i]);
		}
	}
	closedir(d);
	stralloc_free(&base);
	return bad;
}

static int
count_cmp(const void *a, const void *b)
{
	const struct count *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->key, y->key);
}

static void
print_tally(struct tally *t, unsigned long top)
{
	size_t i;

	printf("\n%s\n", t->title);
	if (!t->n) {
		printf("  (none)\n");
		return;
	}
	qsort(t->c, t->n, sizeof *t->c, count_cmp);
	for (i = 0; i < t->n && i < top; i++)
		printf("  %8lu  %s\n", t->c[i].n, t->c[i].key);
	if (t->others)
		printf("  %8lu  (others)\n", t->others);
}

static void
print_days(void)
{
	static const char *const head[D_COLS] = { "received", "delivered",
	    "deferred", "bounced", "refused", "authfail" };
	size_t i, k, n = ndays + (days[DAYS_MAX].date[0] != 0);

	printf("Per day (UTC)  ");
	for (k = 0; k < D_COLS; k++)
		printf(" %9s", head[k]);
	printf("\n");
	for (i = 0; i < n; i++) {
		const struct day *d = i < ndays ? &days[i] : &days[DAYS_MAX];
		printf("%-15s", d->date);
		for (k = 0; k < D_COLS; k++)
			printf(" %9lu", d->n[k]);
		printf("\n");
	}
}

int
main(int argc, char **argv)
{
	unsigned long top = 10;
	int i = 1, bad = 0;

	log_init("sluice-report");
	users.title = "Top senders by login";
	ips.title = "Top senders by client IP";
	reasons.title = "Rejections by reason";
	deferrals.title = "Deferrals by destination domain";
	authfails.title = "Failed logins by client IP";
	if (argc > 2 && !strcmp(argv[1], "-n")) {
		if (!decimal_parse(argv[2], strlen(argv[2]), 6, &top) || !top)
			fatal(EX_SL_USAGE, "usage: sluice-report [-n N] [FILE...]",
			    NULL);
		i = 3;
	}
	if (i < argc && argv[i][0] == '-' && argv[i][1])
		fatal(EX_SL_USAGE, "usage: sluice-report [-n N] [FILE...]", NULL);
	if (i == argc)
		bad = read_instance_logs();
	for (; i < argc; i++)
		if (read_file(argv[i]) < 0) {
			log_line_sys("cannot read ", argv[i], NULL);
			bad = 1;
		}
	print_days();
	print_tally(&users, top);
	print_tally(&ips, top);
	print_tally(&reasons, top);
	print_tally(&deferrals, top);
	print_tally(&authfails, top);
	if (fflush(stdout) != 0)
		fatal_sys(EX_SL_TEMP, "cannot write the report", NULL);
	return bad ? EX_SL_TEMP : 0;
}
