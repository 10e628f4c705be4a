/*
 * sluice-qread -- list the queue: for each message its id, age, size and
 * sender, then each recipient with its state, attempts, next attempt and
 * last status.  Run as root or in group sluiceq; reads ROOT/queue/mess/
 * only.  Exit 0, or 111 if the queue cannot be read.
 *
 *   6b02c3ed8bae1.a74760  age 2m13s  size 1234  from <a@example.org>
 *     deferred <t@remote.test> attempts 1, next in 4m47s: 4.2.2 full
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "control.h"
#include "logmsg.h"
#include "qscan.h"
#include "qtool.h"

static unsigned long rmin = 300, rmax = 14400, now, count;

static const char *
span(char *buf, unsigned long s)
{
	if (s >= 86400)
		snprintf(buf, 32, "%lud%luh", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, 32, "%luh%lum", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, 32, "%lum%lus", s / 60, s % 60);
	else
		snprintf(buf, 32, "%lus", s);
	return buf;
}

static void
show_rcpt(const struct qf_rcpt *r)
{
	char b[32];
	const char *state = qf_state_name(r->state);

	if (!r->state && r->attempts)
		state = "deferred";
	printf("  %-9s <%s>", state, r->addr);
	if (!r->state && r->attempts) {
		unsigned long at = qf_retry_at(r->attempts, r->last, rmin, rmax);

		printf(" attempts %u, next %s%s", r->attempts,
		    at > now ? "in " : "now", at > now ? span(b, at - now) : "");
	}
	if (r->status && r->state != 'K')
		printf(": %s", r->status);
	putchar('\n');
}

static void
show(const char *id, void *ctx)
{
	struct qmsg m;
	char b[32];
	size_t i;

	if (!qtool_load(id, &m))
		return;
	count++;
	printf("%s  age %s  size %lu  from <%s>\n", id,
	    span(b, now > m.q.arrival ? now - m.q.arrival : 0), m.msglen,
	    m.q.sender);
	for (i = 0; i < m.q.nrcpt; i++)
		show_rcpt(&m.q.r[i]);
	qtool_free(&m);
}

int
main(int argc, char **argv)
{
	log_init("sluice-qread");
	if (control_get_uint("retrymin", &rmin) < 0 ||
	    control_get_uint("retrymax", &rmax) < 0)
		log_line("warning: bad retry settings; showing defaults", NULL);
	now = (unsigned long)time(0);
	qtool_enter();
	qscan_ids(show, 0);
	if (!count)
		printf("queue empty\n");
	return fflush(stdout) ? 111 : 0;
}
