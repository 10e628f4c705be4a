/*
 * sluice-qctl -- tell the running queue manager what to do, through the
 * trigger FIFO ROOT/queue/trigger (see send-main.c):
 *
 *   sluice-qctl flush          retry every deferred recipient now
 *   sluice-qctl delete ID...   cancel the message (no bounce)
 *   sluice-qctl bounce ID...   give up on the message now and bounce it
 *   sluice-qctl rescan         look for messages the manager missed
 *
 * Run as root or in group sluiceq.  Exit 0 when the request was handed
 * over (the manager logs what it did), 1 for bad usage or an unknown id,
 * 111 when the manager is not running or the FIFO cannot be written.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <stralloc.h>

#include "exitcodes.h"
#include "logmsg.h"
#include "qfile.h"
#include "qlayout.h"
#include "qtool.h"
#include "sysutil.h"

static void __attribute__((noreturn))
usage(void)
{
	fatal(EX_SL_USAGE, "usage: sluice-qctl flush | rescan | "
	    "delete ID... | bounce ID...", NULL);
}

static void
add_ids(stralloc *req, char cmd, char **ids)
{
	stralloc path = {0};

	if (!*ids)
		usage();
	for (; *ids; ids++) {
		if (!qf_id_valid(*ids))
			fatal(EX_SL_USAGE, "fatal: not a queue id: ", *ids, NULL);
		if (!qf_mess_path(&path, *ids))
			fatal_nomem(EX_SL_TEMP);
		if (access(path.s, F_OK))
			fatal(EX_SL_USAGE, "fatal: no such message: ", *ids,
			    NULL);
		if (!stralloc_append(req, &cmd) || !stralloc_cats(req, " ") ||
		    !stralloc_cats(req, *ids) || !stralloc_cats(req, "\n"))
			fatal_nomem(EX_SL_TEMP);
	}
	stralloc_free(&path);
}

int
main(int argc, char **argv)
{
	static stralloc req;	/* static: reachable until exit */
	int fd;

	log_init("sluice-qctl");
	if (argc < 2)
		usage();
	qtool_enter();
	if (!strcmp(argv[1], "flush") && argc == 2)
		stralloc_copys(&req, "F\n");
	else if (!strcmp(argv[1], "rescan") && argc == 2)
		stralloc_copys(&req, "S\n");
	else if (!strcmp(argv[1], "delete"))
		add_ids(&req, 'X', argv + 2);
	else if (!strcmp(argv[1], "bounce"))
		add_ids(&req, 'D', argv + 2);
	else
		usage();
	fd = qlayout_trigger_open();
	if (fd == QL_ODD)
		fatal(EX_SL_TEMP, "fatal: the trigger is not a FIFO (a symbolic "
		    "link?): refusing to write to it", NULL);
	if (fd < 0)
		fatal_sys(EX_SL_TEMP, errno == ENXIO ? "fatal: the queue "
		    "manager is not running" : "fatal: cannot open the trigger",
		    NULL);
	if (write_all(fd, req.s, req.len))
		fatal_sys(EX_SL_TEMP, "fatal: cannot write the trigger", NULL);
	close(fd);
	return 0;
}
