/*
 * forward.c -- forwarding: remote alias targets and the per-user file's
 * forwards are collected (duplicates dropped) and injected once, after
 * everything else succeeded, through the queue injector with the
 * original envelope sender and a Delivered-To line for our recipient at
 * the top (so a loop comes back to us and is caught).  With an
 * srssecret the envelope sender is rewritten with SRS (lib/srs.h).
 *
 * The injector is $QMAILQUEUE if set (as in qmail; tests use it to
 * capture what is injected), else the injection service, or BIN/sluice-queue
 * when it is not there: lib/inject.h, which also says what its results
 * mean (a permanent refusal is a D record, anything else a Z).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control.h"
#include "inject.h"
#include "local.h"
#include "logmsg.h"
#include "srs.h"
#include "sysutil.h"
#include "userdb.h"

static int
already_listed(const struct ldelivery *d, const char *addr)
{
	size_t pos = 0;

	while (pos < d->fwd.len) {
		if (!strcmp(d->fwd.s + pos, addr))
			return 1;
		pos += strlen(d->fwd.s + pos) + 1;
	}
	return 0;
}

void
forward_add(struct ldelivery *d, const char *addr)
{
	if (already_listed(d, addr))
		return;
	if (d->nfwd >= FORWARD_MAX) {
		ld_fail(d, JOB_FAILED, "5.3.4", "too many forwarding addresses", NULL);
		return;
	}
	if (!stralloc_cats(&d->fwd, addr) || !stralloc_0(&d->fwd)) {
		ld_fail(d, JOB_DEFERRED, "4.3.0", "out of memory", NULL);
		return;
	}
	d->nfwd++;
}

/*
 * The envelope sender of a forward: with an srssecret, the SRS address of
 * the original sender at our recipient's domain (me when it has none), so
 * SPF passes at the next hop and bounces come back to us (lib/srs.h).
 * Senders in our own domains and the null sender are kept.
 * 1 ok (out NUL-terminated), 0 out of memory or unreadable secret.
 */
/* a sender in one of our own domains needs no rewriting: our SPF record
 * covers it already */
static int
sender_is_ours(const char *sender)
{
	const char *at = strrchr(sender, '@');

	return at && at[1] && domain_local(at + 1, strlen(at + 1), 0) == 1;
}

static int
forward_sender(const struct ldelivery *d, stralloc *out)
{
	stralloc secret = {0}, dom = {0};
	const char *at = strrchr(d->rcpt, '@');
	int r = 1;

	if (control_get_str("srssecret", &secret) < 0)
		return 0;
	if (secret.len > 1 && *d->sender && !sender_is_ours(d->sender)) {
		if (at && at[1])
			r = stralloc_copys(&dom, at + 1) && stralloc_0(&dom);
		else
			r = control_get_str("me", &dom) >= 0;
		if (r)
			r = srs_forward(d->sender, dom.s, secret.s, secret.len - 1,
			    time(0), out);
		if (r == 0)
			log_line("forward of ", d->rcpt, ": sender <", d->sender,
			    "> too long for SRS, forwarded unchanged", NULL);
		r = r >= 0;
	}
	if (r && !out->len)
		r = stralloc_copys(out, d->sender) && stralloc_0(out);
	stralloc_free(&secret);
	stralloc_free(&dom);
	return r;
}

static int
build_envelope(const struct ldelivery *d, stralloc *env)
{
	stralloc sender = {0};
	size_t pos = 0;
	int ok = forward_sender(d, &sender);

	ok = ok && stralloc_copys(env, "F") && stralloc_cats(env, sender.s) &&
	    stralloc_0(env);
	stralloc_free(&sender);
	if (!ok)
		return 0;
	while (pos < d->fwd.len) {
		size_t l = strlen(d->fwd.s + pos);

		if (!stralloc_append(env, "T") ||
		    !stralloc_catb(env, d->fwd.s + pos, l + 1))
			return 0;
		pos += l + 1;
	}
	return stralloc_0(env);
}

static int
to_inject(void *arg, const char *buf, size_t len)
{
	inject_write(arg, buf, len);
	return 0;
}

static void
report(struct ldelivery *d, const struct inject_result *r)
{
	char num[21], what[INJECT_QID_MAX + 16];
	const char *qid = r->qid[0] ? r->qid : "?";

	if (r->status == INJECT_OK) {
		log_line_qid(d->job->qid, "forward to=<", d->fwd.s, ">",
		    d->nfwd > 1 ? " and others" : "", " newqid=", qid, NULL);
		strcpy(what, "forward as ");
		strcat(what, qid);
		ld_done(d, what);
		return;
	}
	if (r->code < 0)
		ld_fail(d, JOB_DEFERRED, "4.3.0", "the queue injector failed: ",
		    r->text, NULL);
	else if (r->status == INJECT_PERM)
		ld_fail(d, JOB_FAILED, "5.3.0", "the queue refused the forwarded "
		    "message (exit ", ulong_str(num, (unsigned long)r->code), ")",
		    NULL);
	else
		ld_fail(d, JOB_DEFERRED, "4.3.0", "cannot queue the forwarded message (exit ",
		    ulong_str(num, (unsigned long)r->code), ")", NULL);
}

void
forward_flush(struct ldelivery *d)
{
	static struct inject q;		/* big: not on the stack */
	const char *mq = getenv("QMAILQUEUE");
	struct inject_opts o = { 0, 1, 0, 0, 0 };
	struct inject_result r;
	stralloc env = { 0 };

	if (!d->nfwd)
		return;
	/* a forward is someone else's mail passing through: never signed */
	if (mq && *mq) {
		o.prog = mq;
		o.service = 0;
	}
	if (!build_envelope(d, &env)) {
		ld_fail(d, JOB_DEFERRED, "4.3.0", "cannot prepare the forward", NULL);
	} else if (inject_start(&q, &o) < 0) {
		ld_fail(d, JOB_DEFERRED, "4.3.0", "cannot run the queue injector", NULL);
	} else {
		inject_write(&q, d->dtline.s, d->dtline.len);
		if (msg_each(d, to_inject, &q) < 0) {
			inject_abort(&q);
			ld_fail(d, JOB_DEFERRED, "4.3.0", "cannot read the message", NULL);
		} else {
			inject_finish(&q, env.s, env.len, &r);
			report(d, &r);
		}
	}
	stralloc_free(&env);
}
