/*
 * sluice-qread -- list the queue: for each message its id, age, size and
 * sender ("held" when held), then each recipient with its state,
 * attempts, next attempt and last status.  Run as root or in group
 * sluiceq; reads ROOT/queue/mess/ only.  Takes no arguments.  Exit 0,
 * 1 for bad usage, or 111 if the queue cannot be read.
 *
 *   6b02c3ed8bae1.a74760  age 2m13s  size 1234  from <a@example.org>
 *     deferred <t@remote.test> attempts 1, next in 4m47s: 4.2.2 full
 */
#include <stdio.h>
#include <time.h>

#include "exitcodes.h"
#include "logmsg.h"
#include "qscan.h"
#include "qtool.h"

static unsigned long rmin, rmax, now, count;

static void
show(const char *id, void *ctx)
{
	struct qmsg m;

	if (!qtool_load(id, &m))
		return;
	count++;
	qtool_show(&m, now, rmin, rmax);
	qtool_free(&m);
}

int
main(int argc, char **argv)
{
	log_init("sluice-qread");
	if (argc > 1)
		fatal(EX_SL_USAGE, "usage: sluice-qread", NULL);
	qtool_retry_settings(&rmin, &rmax);
	now = (unsigned long)time(0);
	qtool_enter();
	qscan_ids(show, 0);
	if (!count)
		printf("queue empty\n");
	return fflush(stdout) ? EX_SL_TEMP : EX_SL_OK;
}
