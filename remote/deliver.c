/*
 * deliver.c -- sluice-remote's delivery of one job: the recipients of one
 * message at one domain (spawner.h deliver_fn).
 *
 * Runs as sluicer in a worker of the spawner, one job after another;
 * reads control/ (the settings, routes.cdb, remoteauth), asks DNS,
 * connects out, and touches nothing else.  What a job leaves behind for
 * the next is only the connection smtpsess.c may keep (remote.h
 * smtp_reuse); everything else is freed or reset here.  Checks the envelope, measures the message, asks plan.c
 * which hosts to try, tries them in order (smtpsess.c) until one takes or
 * refuses the message, and answers one result per recipient, in order:
 * recipients no host decided get the last host's failure, temporary if
 * any host failed temporarily.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <signal.h>

#include "address.h"
#include "control.h"
#include "dotstuff.h"
#include "exitcodes.h"
#include "logmsg.h"
#include "plan.h"
#include "remote.h"
#include "sysutil.h"

static struct rcptstate rstate[JOB_RCPT_MAX];

void
rcpt_set(struct rcptstate *r, enum job_status status, const char *dsn,
    const char *text)
{
	size_t len = strlen(text);

	r->status = status;
	strncpy(r->dsn, dsn, DSN_MAX - 1);
	r->dsn[DSN_MAX - 1] = 0;
	/* the class must agree with the status */
	if (status == JOB_DEFERRED)
		r->dsn[0] = '4';
	else if (status == JOB_FAILED)
		r->dsn[0] = '5';
	else
		r->dsn[0] = '2';
	if (len > JOB_TEXT_MAX)
		len = JOB_TEXT_MAX;
	memcpy(r->text, text, len);
	r->text[len] = 0;
}

void
delivery_fail(struct delivery *d, int temp, const char *dsn, const char *text)
{
	size_t len = strlen(text);

	if (temp)
		d->anytemp = 1;
	strncpy(d->lastdsn, dsn, DSN_MAX - 1);
	d->lastdsn[DSN_MAX - 1] = 0;
	if (len > JOB_TEXT_MAX)
		len = JOB_TEXT_MAX;
	memcpy(d->lasterr, text, len);
	d->lasterr[len] = 0;
}

size_t
delivery_pending(const struct delivery *d)
{
	size_t i, n = 0;

	for (i = 0; i < d->j->nrcpt; i++)
		if (!d->r[i].status)
			n++;
	return n;
}

/* every recipient still to do gets this result */
static void
finish_all(struct delivery *d, enum job_status status, const char *dsn,
    const char *text)
{
	size_t i;

	for (i = 0; i < d->j->nrcpt; i++)
		if (!d->r[i].status)
			rcpt_set(&d->r[i], status, dsn, text);
}

void
delivery_give_up(struct delivery *d, enum job_status status, const char *dsn,
    const char *a, const char *b, const char *c)
{
	char text[JOB_TEXT_MAX + 1];

	strncpy(text, a, sizeof text - 1);
	text[sizeof text - 1] = 0;
	if (b)
		strncat(text, b, sizeof text - strlen(text) - 1);
	if (c)
		strncat(text, c, sizeof text - strlen(text) - 1);
	log_line_qid(d->j->qid, "remote domain=", d->j->domain, " ", text, NULL);
	finish_all(d, status, dsn, text);
}

/* an address is safe to put between < > on a command line */
static int
address_ok(const char *s, int *utf8)
{
	size_t i, len = strlen(s);

	if (len > ADDR_PATH_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 32 || c == 127 || c == '<' || c == '>')
			return 0;
		if (c >= 128)
			*utf8 = 1;
	}
	return 1;
}

static int
measure(struct delivery *d)
{
	static char buf[65536];
	unsigned long done = 0;

	d->size = 0;
	while (done < d->j->length) {
		size_t want = d->j->length - done > sizeof buf ? sizeof buf : d->j->length - done;
		ssize_t r = pread(d->msgfd, buf, want, (off_t)(d->j->offset + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		message_measure(buf, (size_t)r, &d->size, &d->eightbit);
		done += (unsigned long)r;
	}
	return 0;
}

/* the resolvers setting: comma-separated, and one per line is accepted
 * too; joined with commas (each entry is checked by dnsres) */
static int
resolvers_read(stralloc *out)
{
	stralloc lines = {0};
	size_t i;
	int r = control_read_lines("resolvers", &lines);

	if (r < 0)
		return -1;
	for (i = 0; i < lines.len; i++)
		if (!lines.s[i])
			lines.s[i] = ',';
	if (lines.len)
		lines.len--;	/* the last NUL became a comma */
	r = stralloc_copy(out, &lines) && stralloc_0(out) ? 0 : -1;
	stralloc_free(&lines);
	return r;
}

static int
settings_read(struct delivery *d, stralloc *me, stralloc *resolvers,
    unsigned long *tdns)
{
	unsigned long tr, tc;
	static char host[256];

	if (control_get_str("me", me) < 0 || resolvers_read(resolvers) < 0 ||
	    control_get_uint("timeoutremote", &tr) < 0 ||
	    control_get_uint("timeoutconnect", &tc) < 0 ||
	    control_get_uint("timeoutdns", tdns) < 0 ||
	    control_get_uint("remotecachetime", &d->cachetime) < 0 ||
	    control_get_uint("remotereusecount", &d->reusecount) < 0 ||
	    control_get_uint("remotereusetime", &d->reusetime) < 0)
		return -1;
	d->timeout = (unsigned int)tr;
	d->timeoutconnect = (unsigned int)tc;
	d->me = me->s;
	if (!*d->me) {
		if (gethostname(host, sizeof host - 1) < 0)
			return -1;
		d->me = host;
	}
	return 0;
}

static void
results(struct delivery *d, stralloc *res)
{
	size_t i;

	for (i = 0; i < d->j->nrcpt; i++) {
		const struct rcptstate *r = &d->r[i];
		if (!job_result_add(res, r->status, r->dsn, r->text, strlen(r->text)))
			fatal_nomem(EX_SL_TEMP);
	}
}

static void
try_hosts(struct delivery *d, const struct plan *p)
{
	size_t i = 0;

	/* a connection kept from the job before, if it fits; a reuse that
	 * went wrong after RSET was a real attempt, and the plan runs */
	if (smtp_reuse(d, p->t, p->n) == ATTEMPT_DONE)
		i = p->n;
	for (; i < p->n && delivery_pending(d); i++) {
		enum attempt a = smtp_attempt(d, &p->t[i], 0);
		if (a == ATTEMPT_PLAIN)
			a = smtp_attempt(d, &p->t[i], 1);
		if (a == ATTEMPT_DONE)
			break;
	}
	if (!delivery_pending(d))
		return;
	if (!d->lasterr[0])
		delivery_fail(d, 1, "4.4.1", "no host to deliver to");
	finish_all(d, d->anytemp ? JOB_DEFERRED : JOB_FAILED, d->lastdsn, d->lasterr);
}

void
deliver_remote(const struct job *j, int msgfd, stralloc *res)
{
	static struct delivery d;
	static struct plan p;
	static struct credentials cred;
	stralloc me = {0}, resolvers = {0};
	unsigned long tdns = 5;
	size_t i;
	int utf8 = 0, bad = 0;

	sig_ignore(SIGPIPE);
	memset(&d, 0, sizeof d);
	memset(rstate, 0, sizeof rstate[0] * j->nrcpt);
	d.j = j;
	d.msgfd = msgfd;
	d.r = rstate;
	if (!address_ok(j->sender, &utf8))
		bad = 1;
	for (i = 0; i < j->nrcpt; i++)
		if (!address_ok(j->rcpt[i], &utf8) || !*j->rcpt[i])
			rcpt_set(&rstate[i], JOB_FAILED, "5.1.3", "bad recipient address syntax");
	d.utf8addr = utf8;
	if (bad)
		delivery_give_up(&d, JOB_FAILED, "5.1.7", "bad sender address syntax", 0, 0);
	else if (settings_read(&d, &me, &resolvers, &tdns) < 0)
		delivery_give_up(&d, JOB_DEFERRED, "4.3.5", "configuration error: cannot read the settings", 0, 0);
	else if (measure(&d) < 0)
		delivery_give_up(&d, JOB_DEFERRED, "4.3.0", "cannot read the message", 0, 0);
	else if (delivery_pending(&d) && plan_make(&d, resolvers.s, tdns, &p, &cred) == 0)
		try_hosts(&d, &p);
	results(&d, res);
	memset(&cred, 0, sizeof cred);
	if (d.tls_ctx)
		SSL_CTX_free(d.tls_ctx);
	stralloc_free(&me);
	stralloc_free(&resolvers);
}
