/*
 * outcome.c -- the outcome of one local delivery: the worst failure of
 * its parts (Z outranks D outranks K) with the first reason of that kind,
 * and counts of what was delivered for the K text.  See local.h.
 */
#include <stdarg.h>
#include <string.h>

#include "local.h"
#include "logmsg.h"

static int
rank(enum job_status status)
{
	return status == JOB_DEFERRED ? 2 : status == JOB_FAILED ? 1 : 0;
}

void
ld_fail(struct ldelivery *d, enum job_status status, const char *dsn, ...)
{
	va_list ap;
	const char *s;

	if (rank(status) <= rank(d->status))
		return;		/* keep the first reason of the worst kind */
	d->status = status;
	strncpy(d->dsn, dsn, sizeof d->dsn - 1);
	d->dsn[sizeof d->dsn - 1] = 0;
	d->text.len = 0;
	va_start(ap, dsn);
	while ((s = va_arg(ap, const char *)))
		if (!stralloc_cats(&d->text, s))
			break;
	va_end(ap);
}

void
ld_done(struct ldelivery *d, const char *what)
{
	d->done++;
	if (d->where.len > 200)
		return;
	if (d->where.len && !stralloc_cats(&d->where, ", "))
		return;
	stralloc_cats(&d->where, what);
}

int
ld_stopped(const struct ldelivery *d)
{
	return d->status == JOB_DEFERRED;
}
