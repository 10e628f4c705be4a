/*
 * sluice-local -- local delivery: one message to one local address.
 *
 * Started by sluice-start as sluicev with a job socket on fd 0 (job.h,
 * spawner.h), or one-shot by an administrator or a test:
 *   sluice-local -1 L SENDER "" RCPT < message
 * Never runs as root: started as root it switches to sluicev first (and
 * fails if there is no such user).  It may touch the virtual mailboxes
 * (ROOT/mail/...), read users/, control/ and the per-user files, run
 * per-user programs for domains that allow them, and start the queue
 * injector for forwards.  Results: K delivered, Z temporary failure, D
 * permanent failure with the reason for the bounce (deliver.c).
 */
#include <unistd.h>

#include "local.h"
#include "exitcodes.h"
#include "logmsg.h"
#include "spawner.h"
#include "sysutil.h"

int
main(int argc, char **argv)
{
	log_init("sluice-local");
	if (geteuid() == 0 && priv_drop("sluicev") < 0)
		fatal_sys(EX_SL_TEMP, "cannot switch to user sluicev", NULL);
	if (geteuid() == 0)
		fatal(EX_SL_TEMP, "refusing to deliver as root", NULL);
	spawner_main(argc, argv, deliver_local,
	    "-1 L SENDER \"\" RECIPIENT < message");
}
