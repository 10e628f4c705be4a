/*
 * main.c -- sluice-remote: outbound SMTP delivery.
 *
 * Runs as sluicer, started by sluice-start with the job socket on fd 0
 * (job.h); hands each job to a long-lived worker (spawner.h), which
 * delivers one message to the recipients at one domain (deliver.c) and
 * may keep the SMTP connection open for a next job to the same
 * destination (smtpsess.c, remotecachetime).  With
 * `-1 R SENDER DOMAIN RCPT... < message` it delivers once and prints the
 * results (tests, administrators).  Started as root, it switches to
 * sluicer first and refuses to go on as root: a process that talks to
 * arbitrary hosts on the Internet never holds root.
 */
#include <unistd.h>

#include "exitcodes.h"
#include "remote.h"
#include "logmsg.h"
#include "spawner.h"
#include "sysutil.h"

#define REMOTE_USER "sluicer"

void deliver_remote(const struct job *j, int msgfd, stralloc *res);

static const struct spawner_hooks hooks = { conn_held, conn_held_fd, conn_tick };

int
main(int argc, char **argv)
{
	log_init("sluice-remote");
	if (geteuid() == 0 && priv_drop(REMOTE_USER) < 0)
		fatal_sys(EX_SL_TEMP, "fatal: cannot switch to user " REMOTE_USER, NULL);
	if (geteuid() == 0)
		fatal(EX_SL_TEMP, "fatal: refusing to deliver as root", NULL);
	spawner_set_hooks(&hooks);
	spawner_main(argc, argv, deliver_remote,
	    "-1 R SENDER DOMAIN RECIPIENT [RECIPIENT...] < message");
}
