/*
 * sluice-start -- start the queue service (HACKING.md, "The queue service").
 *
 * Run by ROOT/service/send/run as root (or as the instance owner in a
 * single-uid instance) with SLUICE_ROOT set.  Creates the missing pieces of
 * the queue layout, makes two SOCK_SEQPACKET socketpairs, forks
 * sluice-local as sluicev and sluice-remote as sluicer (socket on fd 0,
 * /dev/null on fd 1, the log on fd 2), then execs sluice-send as sluices
 * with the local socket on fd 3 and the remote one on fd 4, in ROOT/queue.
 * The programs are taken from the directory sluice-start itself lives in.
 *
 * For tests only: SLUICE_TEST_LOCAL and SLUICE_TEST_REMOTE, when set, name
 * programs run instead of sluice-local and sluice-remote (with the same
 * users, descriptors and protocol).  Production run scripts never set them.
 *
 * Exits 111 with one line if anything fails before the exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stralloc.h>

#include "control.h"
#include "exitcodes.h"
#include "logmsg.h"
#include "qfork.h"
#include "qlayout.h"
#include "sysutil.h"

static stralloc bindir;

static void
find_bindir(void)
{
	char path[4096];
	ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
	char *slash;

	if (n <= 0)
		fatal_sys(EX_SL_TEMP, "fatal: cannot find my own binary", NULL);
	path[n] = 0;
	slash = strrchr(path, '/');
	if (!slash)
		fatal(EX_SL_TEMP, "fatal: odd binary path", NULL);
	if (!stralloc_copyb(&bindir, path, (size_t)(slash - path + 1)))
		fatal_nomem(EX_SL_TEMP);
}

static char *
program(const char *name, const char *testenv)
{
	static stralloc p[2];
	static int n;
	const char *t = testenv ? getenv(testenv) : 0;
	stralloc *sa = &p[n++ & 1];

	if (t && *t)
		return (char *)t;
	if (!stralloc_copy(sa, &bindir) || !stralloc_cats(sa, name) ||
	    !stralloc_0(sa))
		fatal_nomem(EX_SL_TEMP);
	return sa->s;
}

/* in the child: socket to fd 0, /dev/null to fd 1, drop, exec */
static void __attribute__((noreturn))
run_child(int sock, const char *user, char *prog)
{
	char *argv[2];
	int null = open("/dev/null", O_WRONLY);

	if (null < 0 || fd_move(1, null) || fd_move(0, sock))
		fatal_sys(EX_SL_TEMP, "fatal: cannot set up descriptors for ",
		    prog, NULL);
	if (priv_drop(user))
		fatal_sys(EX_SL_TEMP, "fatal: cannot switch to user ", user,
		    NULL);
	argv[0] = prog;
	argv[1] = 0;
	execv(prog, argv);
	fatal_sys(EX_SL_TEMP, "fatal: cannot run ", prog, NULL);
}

static int
start_child(const char *user, char *prog)
{
	int sock;

	if (fork_socketpair(&sock) == 0)
		run_child(sock, user, prog);
	return sock;
}

/* normally made by sluice-conf init; made here for bare test instances */
static void
make_queue_dir(const char *path)
{
	uid_t uid;
	gid_t gid;

	if (mkdir(path, 0750) == 0) {
		if (geteuid() == 0 && (user_ids(QUEUE_USER, &uid, &gid) != 1 ||
		    chown(path, uid, gid)))
			fatal_sys(EX_SL_TEMP, "fatal: cannot give ", path,
			    " to " QUEUE_USER, NULL);
	} else if (errno != EEXIST)
		fatal_sys(EX_SL_TEMP, "fatal: cannot create ", path, NULL);
}

int
main(int argc, char **argv)
{
	stralloc qdir = {0};
	const char *what;
	char *send, *args[2];
	int lsock, rsock;

	log_init("sluice-start");
	find_bindir();
	if (!instance_path(&qdir, "queue"))
		fatal_nomem(EX_SL_TEMP);
	make_queue_dir(qdir.s);
	if (chdir(qdir.s))
		fatal_sys(EX_SL_TEMP, "fatal: cannot enter ", qdir.s, NULL);
	if (qlayout_ensure(".", &what))
		fatal_sys(EX_SL_TEMP, "fatal: cannot create queue/", what,
		    NULL);
	lsock = start_child("sluicev", program("sluice-local",
	    "SLUICE_TEST_LOCAL"));
	rsock = start_child("sluicer", program("sluice-remote",
	    "SLUICE_TEST_REMOTE"));
	/* fd 3 and 4 may be what the sockets got: move through high fds */
	if (fd_move(20, lsock) || fd_move(21, rsock) || fd_move(3, 20) ||
	    fd_move(4, 21))
		fatal_sys(EX_SL_TEMP, "fatal: cannot move sockets", NULL);
	send = program("sluice-send", 0);
	if (priv_drop("sluices"))
		fatal_sys(EX_SL_TEMP, "fatal: cannot switch to user sluices",
		    NULL);
	args[0] = send;
	args[1] = 0;
	execv(send, args);
	fatal_sys(EX_SL_TEMP, "fatal: cannot run ", send, NULL);
}
