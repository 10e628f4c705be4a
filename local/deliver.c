/*
 * deliver.c -- deliver_local: one job, one recipient.
 *
 * Input: the job (recipient, envelope sender, arrival time) and the
 * message descriptor.  Checks for loops (our Delivered-To already there,
 * or more than maxhops Received/Delivered-To fields: D 5.4.6), then
 * expands the recipient through the resolver the SMTP server uses
 * (userdb.h): virtual users, aliases (recursively, bounded), catch-alls,
 * postmaster/abuse.  Output: exactly one result (K/Z/D) appended to res,
 * and one log line.  Runs in a long-lived worker of the spawner, as
 * sluicev, one job after another: everything allocated here is freed
 * before it returns (local/README.md, "Delivery workers").
 */
#include <string.h>

#include "local.h"
#include "address.h"
#include "control.h"
#include "exitcodes.h"
#include "hdrscan.h"
#include "logmsg.h"
#include "sysutil.h"

static int
in_chain(const struct ldelivery *d, const char *addr)
{
	size_t i;

	for (i = 0; i < d->depth; i++)
		if (!strcmp(d->chain[i], addr))
			return 1;
	return 0;
}

/* alias targets: "local" means local@domain of the alias */
static void
expand_targets(struct ldelivery *d, const stralloc *targets,
    const char *domain)
{
	size_t pos = 0;
	stralloc full = { 0 };

	while (pos < targets->len && !ld_stopped(d)) {
		const char *t = targets->s + pos;
		size_t tl = strnlen(t, targets->len - pos);

		pos += tl + 1;
		if (!tl)
			continue;
		if (!stralloc_copyb(&full, t, tl) ||
		    (!memchr(t, '@', tl) && (!stralloc_append(&full, "@") ||
		    !stralloc_cats(&full, domain))) || !stralloc_0(&full)) {
			ld_fail(d, JOB_DEFERRED, "4.3.0", "out of memory", NULL);
			break;
		}
		expand_address(d, full.s);
	}
	stralloc_free(&full);
}

static void
deliver_postmaster(struct ldelivery *d, const char *domain)
{
	stralloc targets = { 0 }, md = { 0 };
	int r = alias_get("postmaster", 10, &targets);

	if (r < 0)
		ld_fail(d, JOB_DEFERRED, "4.3.0", "cannot read the alias database", NULL);
	else if (r > 0)
		expand_targets(d, &targets, domain);
	else if (!instance_path(&md, "mail/postmaster/Maildir"))
		ld_fail(d, JOB_DEFERRED, "4.3.0", "out of memory", NULL);
	else if (maildir_ensure(md.s) < 0)
		ld_fail(d, JOB_DEFERRED, "4.3.0", "cannot create the postmaster Maildir", NULL);
	else
		maildir_deliver(d, md.s, 0, 0);
	stralloc_free(&targets);
	stralloc_free(&md);
}

static void
expand_resolved(struct ldelivery *d, const char *addr, const char *domain,
    struct resolved *r)
{
	switch (r->kind) {
	case RES_USER:
		deliver_user(d, addr, r);
		break;
	case RES_ALIAS:
		expand_targets(d, &r->targets, domain);
		break;
	case RES_POSTMASTER:
		deliver_postmaster(d, domain);
		break;
	default:
		ld_fail(d, JOB_FAILED, "5.1.1", "no such user: ", addr, NULL);
	}
}

static void
expand_local(struct ldelivery *d, const char *addr, const struct addr *a)
{
	struct resolved r;

	memset(&r, 0, sizeof r);
	if (local_resolve(a->local, a->domain, d->delims, &r) < 0)
		ld_fail(d, JOB_DEFERRED, "4.3.0", "cannot read the user database", NULL);
	else {
		d->chain[d->depth++] = addr;
		expand_resolved(d, addr, a->domain, &r);
		d->depth--;
	}
	stralloc_free(&r.targets);
}

void
expand_address(struct ldelivery *d, const char *addr)
{
	struct addr a;
	int local;

	if (addr_parse(addr, strlen(addr), ADDR_NO_BRACKETS | ADDR_UTF8, &a)
	    != ADDR_OK) {
		ld_fail(d, JOB_FAILED, "5.1.3", "bad address: ", addr, NULL);
		return;
	}
	if (d->depth > ALIAS_DEPTH_MAX) {
		ld_fail(d, JOB_FAILED, "5.4.6", "aliases nested too deeply at ", addr, NULL);
		return;
	}
	if (in_chain(d, addr)) {
		ld_fail(d, JOB_FAILED, "5.4.6", "alias loop at ", addr, NULL);
		return;
	}
	if (hdr_delivered_to(d->hdr.s, d->hdr.len, addr, strlen(addr))) {
		ld_fail(d, JOB_FAILED, "5.4.6", "mail loop: already delivered to ",
		    addr, NULL);
		return;
	}
	local = domain_local(a.domain, a.domain_len, 0);
	if (local < 0)
		ld_fail(d, JOB_DEFERRED, "4.3.0", "cannot read the domain list", NULL);
	else if (local)
		expand_local(d, addr, &a);
	else if (d->depth)
		forward_add(d, addr);	/* a remote alias target */
	else
		ld_fail(d, JOB_FAILED, "5.1.2", "not a local domain: ", a.domain, NULL);
}

/* the envelope sender goes into header lines and the environment:
 * control characters (a header injection) become '?', the length is
 * bounded */
static int
sanitize_sender(struct ldelivery *d)
{
	size_t i, n = strlen(d->sender);

	if (n > ADDR_PATH_MAX)
		n = ADDR_PATH_MAX;
	if (!stralloc_copyb(&d->senderbuf, d->sender, n) ||
	    !stralloc_0(&d->senderbuf))
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)d->senderbuf.s[i] < 32 ||
		    d->senderbuf.s[i] == 127)
			d->senderbuf.s[i] = '?';
	d->sender = d->senderbuf.s;
	return 1;
}

static int
make_envelope_lines(struct ldelivery *d)
{
	return sanitize_sender(d) && stralloc_copys(&d->rpline, "Return-Path: <") &&
	    stralloc_cats(&d->rpline, d->sender) &&
	    stralloc_cats(&d->rpline, ">\n") &&
	    stralloc_copys(&d->dtline, "Delivered-To: ") &&
	    stralloc_cats(&d->dtline, d->rcpt) &&
	    stralloc_cats(&d->dtline, "\n");
}

/* The key of this job's Maildir deliveries (maildir_open_keyed): the
 * queue id and a hash of the recipient, the same on every retry of the
 * job, so a retry after a temporary failure or a crash finds the copies
 * already made and makes no second one.  One-shot runs (queue id
 * "oneshot", spawner.c) have no retries and get fresh names. */
static void
make_maildir_key(struct ldelivery *d)
{
	const char *q = d->job->qid;
	unsigned long long h = 1469598103934665603ULL;	/* FNV-1a */
	const char *p;
	size_t n = 0;
	int i;

	d->mdkey[0] = 0;
	if (!q || !*q || !strcmp(q, "oneshot"))
		return;
	for (p = d->rcpt; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	for (; *q && n < 64; q++)
		d->mdkey[n++] = (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
		    (*q >= '0' && *q <= '9') || *q == '.' || *q == '-' ? *q : '_';
	d->mdkey[n++] = '.';
	for (i = 60; i >= 0; i -= 4)
		d->mdkey[n++] = "0123456789abcdef"[(h >> i) & 15];
	d->mdkey[n] = 0;
}

/* settings, header, loop checks: 1 go on, 0 the outcome is decided */
static int
prepare(struct ldelivery *d, stralloc *delims)
{
	unsigned long maxhops, hops;
	char num[21];

	if (control_get_str("recipientdelimiter", delims) < 0 ||
	    control_get_uint("maxhops", &maxhops) < 0) {
		ld_fail(d, JOB_DEFERRED, "4.3.5", "bad setting recipientdelimiter or maxhops", NULL);
		return 0;
	}
	d->delims = delims->s;
	make_maildir_key(d);
	if (!make_envelope_lines(d)) {
		ld_fail(d, JOB_DEFERRED, "4.3.0", "out of memory", NULL);
		return 0;
	}
	if (msg_read_header(d) < 0) {
		ld_fail(d, JOB_DEFERRED, "4.3.0", "cannot read the message", NULL);
		return 0;
	}
	hops = hdr_hops(d->hdr.s, d->hdr.len);
	if (hops > maxhops) {
		ld_fail(d, JOB_FAILED, "5.4.6", "mail loop: too many hops (",
		    ulong_str(num, hops), " Received/Delivered-To fields)", NULL);
		return 0;
	}
	return 1;
}

static void
report(struct ldelivery *d, stralloc *res)
{
	char st[2];

	if (d->status == JOB_SENT) {
		strcpy(d->dsn, "2.0.0");
		if (!stralloc_copys(&d->text, d->done ? "delivered: " :
		    "delivered: nothing to do") ||
		    !stralloc_cat(&d->text, &d->where))
			fatal_nomem(EX_SL_TEMP);
	}
	if (!stralloc_0(&d->text))
		fatal_nomem(EX_SL_TEMP);
	if (!job_result_add(res, d->status, d->dsn, d->text.s, d->text.len - 1))
		fatal_nomem(EX_SL_TEMP);
	st[0] = (char)d->status;
	st[1] = 0;
	/* sluice-send logs the delivery line; this is the local detail */
	log_line_qid(d->job->qid, "local to=<", d->rcpt, "> result=", st,
	    " dsn=", d->dsn, " ", d->text.s, NULL);
}

void
deliver_local(const struct job *j, int msgfd, stralloc *res)
{
	struct ldelivery d;
	stralloc delims = { 0 };

	memset(&d, 0, sizeof d);
	d.job = j;
	d.msgfd = msgfd;
	d.rcpt = j->nrcpt ? j->rcpt[0] : "";
	d.sender = j->sender;
	d.status = JOB_SENT;
	fd_cloexec(msgfd);	/* programs and the injector must not inherit it */
	if (j->nrcpt != 1)
		ld_fail(&d, JOB_FAILED, "5.3.3", "a local job has exactly one recipient", NULL);
	else if (prepare(&d, &delims)) {
		expand_address(&d, d.rcpt);
		if (!ld_stopped(&d))
			forward_flush(&d);
	}
	report(&d, res);
	stralloc_free(&delims);
	stralloc_free(&d.hdr);
	stralloc_free(&d.rpline);
	stralloc_free(&d.dtline);
	stralloc_free(&d.fwd);
	stralloc_free(&d.seen);
	stralloc_free(&d.text);
	stralloc_free(&d.where);
	stralloc_free(&d.senderbuf);
}
