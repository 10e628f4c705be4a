/*
 * sluice-qcat -- show one queued message with its envelope:
 *
 *   sluice-qcat ID       the envelope as sluice-qread shows it (id, age,
 *                        size, sender, each recipient with its state),
 *                        an empty line, then the message
 *   sluice-qcat -e ID    the envelope only
 *   sluice-qcat -b ID    the message only, byte for byte as queued (LF
 *                        line ends, starting with sluice-queue's Received)
 *
 * Run as root or in group sluiceq; reads ROOT/queue/mess/BB/ID only.
 * Exit 0; 1 for bad usage, a malformed id or no such message; 111 when
 * the queue or the file cannot be read or standard output written.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <stralloc.h>

#include "exitcodes.h"
#include "logmsg.h"
#include "qfile.h"
#include "qtool.h"
#include "sysutil.h"

static void __attribute__((noreturn))
usage(void)
{
	fatal(EX_SL_USAGE, "usage: sluice-qcat [-e | -b] ID", NULL);
}

/* copy msglen bytes of the message from the file to fd 1 */
static void
copy_message(const char *id, unsigned long msglen)
{
	stralloc path = {0};
	char buf[65536];
	off_t off = QF_HEAD_LEN;
	int fd;

	if (!qf_mess_path(&path, id))
		fatal_nomem(EX_SL_TEMP);
	fd = open(path.s, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		fatal_sys(errno == ENOENT ? EX_SL_USAGE : EX_SL_TEMP,
		    "fatal: cannot open ", path.s, NULL);
	while (msglen) {
		size_t want = msglen < sizeof buf ? msglen : sizeof buf;
		ssize_t n = pread(fd, buf, want, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fatal_sys(EX_SL_TEMP, "fatal: cannot read ", path.s,
			    NULL);
		if (write_all(1, buf, (size_t)n))
			fatal_sys(EX_SL_TEMP, "fatal: cannot write", NULL);
		off += n;
		msglen -= (unsigned long)n;
	}
	close(fd);
	stralloc_free(&path);
}

int
main(int argc, char **argv)
{
	unsigned long rmin, rmax;
	struct qmsg m;
	const char *id;
	int env = 1, body = 1;

	log_init("sluice-qcat");
	if (argc == 3 && !strcmp(argv[1], "-e"))
		body = 0;
	else if (argc == 3 && !strcmp(argv[1], "-b"))
		env = 0;
	else if (argc != 2 || argv[1][0] == '-')
		usage();
	id = argv[argc - 1];
	if (!qf_id_valid(id))
		fatal(EX_SL_USAGE, "fatal: not a queue id: ", id, NULL);
	qtool_retry_settings(&rmin, &rmax);
	qtool_enter();
	if (!qtool_load(id, &m))
		fatal(EX_SL_USAGE, "fatal: no such message: ", id, NULL);
	if (env) {
		qtool_show(&m, (unsigned long)time(0), rmin, rmax);
		if (m.q.warned)
			printf("  (the sender was told the message is delayed)\n");
		if (body)
			putchar('\n');
		if (fflush(stdout))
			fatal_sys(EX_SL_TEMP, "fatal: cannot write", NULL);
	}
	if (body)
		copy_message(id, m.msglen);
	qtool_free(&m);
	return EX_SL_OK;
}
