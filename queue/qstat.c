/*
 * sluice-qstat -- count the queue: messages, recipients by state, and
 * injections in progress (files in tmp/).  Run as root or in group
 * sluiceq; reads ROOT/queue only.  Exit 0, or 111 if it cannot read it.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>

#include "logmsg.h"
#include "qscan.h"
#include "qtool.h"

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

int
main(int argc, char **argv)
{
	struct counts c = { 0, 0, 0, 0, 0, 0 };

	log_init("sluice-qstat");
	qtool_enter();
	qscan_ids(count, &c);
	printf("messages: %lu (%lu bytes)\n", c.msgs, c.bytes);
	printf("recipients pending: %lu\n", c.pending);
	printf("recipients deferred: %lu\n", c.deferred);
	printf("recipients failed, bounce pending: %lu\n", c.failed);
	printf("recipients done: %lu\n", c.done);
	printf("injections in progress: %lu\n", tmp_files());
	return fflush(stdout) ? 111 : 0;
}
