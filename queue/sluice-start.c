/*
 * sluice-start -- start the queue service (HACKING.md, "The queue service").
 *
 * Run by ROOT/service/send/run as root (or as the instance owner in a
 * single-uid instance) with SLUICE_ROOT set.  Creates the missing pieces of
 * the queue layout, makes two SOCK_SEQPACKET socketpairs, forks
 * sluice-local as sluicev and sluice-remote as sluicer (socket on fd 0,
 * /dev/null on fd 1, the log on fd 2), then execs sluice-send as sluices
 * with the local socket on fd 3 and the remote one on fd 4, in ROOT/queue.
 *
 * Before that, the injection service: it makes ROOT/run (root's, mode
 * 0755) and the listening socket ROOT/run/inject.sock (mode 0666: every
 * local injector may connect; sluice-injectd learns who through
 * SO_PEERCRED) and forks sluice-injectd as sluiceq with it on fd 0, with
 * PR_SET_PDEATHSIG so that it ends with sluice-send.  sluice-send gets
 * its pid in SLUICE_INJECTD_PID and exits when it ends (HACKING.md).
 * Root never follows a name another user could change: ROOT is checked
 * (root's, writable by nobody else), run/ is opened with O_NOFOLLOW and
 * checked and repaired through its descriptor, and the socket is bound
 * through /proc/self/fd/N/inject.sock.
 *
 * The programs are taken from the directory sluice-start itself lives in.
 *
 * Which program runs for each name is start_program's (qstart.h): the
 * installed sluice-start always runs its siblings and reads no test hook;
 * the test build sluice-start-test (never installed) can be told to run
 * a stand-in instead.
 *
 * Exits 111 with one line if anything fails before the exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <stralloc.h>

#include "control.h"
#include "exitcodes.h"
#include "inject.h"
#include "logmsg.h"
#include "qfork.h"
#include "qlayout.h"
#include "qstart.h"
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

char *
start_sibling(const char *name)
{
	static stralloc p[3];
	static int n;
	stralloc *sa = &p[n++ % 3];

	if (!stralloc_copy(sa, &bindir) || !stralloc_cats(sa, name) ||
	    !stralloc_0(sa))
		fatal_nomem(EX_SL_TEMP);
	return sa->s;
}

/* in the child: socket to fd 0, /dev/null to fd 1, drop, exec; a
 * child that must end with its parent gets SIGTERM then (PDEATHSIG is
 * cleared by a change of ids, so it is set after priv_drop) */
static void __attribute__((noreturn))
run_child(int sock, const char *user, char *prog, pid_t parent)
{
	char *argv[2];
	int null = open("/dev/null", O_WRONLY);

	if (null < 0 || fd_move(1, null) || fd_move(0, sock))
		fatal_sys(EX_SL_TEMP, "fatal: cannot set up descriptors for ",
		    prog, NULL);
	if (priv_drop(user))
		fatal_sys(EX_SL_TEMP, "fatal: cannot switch to user ", user,
		    NULL);
	if (parent && (prctl(PR_SET_PDEATHSIG, SIGTERM) || getppid() != parent))
		fatal(EX_SL_TEMP, "fatal: the queue service went away", NULL);
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
		run_child(sock, user, prog, 0);
	return sock;
}

/* ROOT, opened.  As root, ROOT must be root's and writable by nobody
 * else: a user who could rename ROOT/queue could aim root's repairs of
 * the queue layout at any file. */
static int
open_root(void)
{
	const char *root = instance_root();
	struct stat st;
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st))
		fatal_sys(EX_SL_TEMP, "fatal: cannot open ", root, NULL);
	if (geteuid() == 0 && (st.st_uid != 0 || (st.st_mode & 022)))
		fatal(EX_SL_TEMP, "fatal: refusing to start: ", root, " is "
		    "writable by a user other than root", NULL);
	return fd;
}

/* ROOT/run, made or repaired through its descriptor: a directory of
 * root's (ours when not root), writable by nobody else, so that nobody
 * else can replace the socket in it */
static int
open_run_dir(int root)
{
	struct stat st;
	int fd;

	if (mkdirat(root, "run", 0755) && errno != EEXIST)
		fatal_sys(EX_SL_TEMP, "fatal: cannot create ", instance_root(),
		    "/run", NULL);
	fd = openat(root, "run", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0 && (errno == ELOOP || errno == ENOTDIR))
		fatal(EX_SL_TEMP, "fatal: refusing to start: ", instance_root(),
		    "/run is a symbolic link or not a directory", NULL);
	if (fd < 0 || fstat(fd, &st))
		fatal_sys(EX_SL_TEMP, "fatal: cannot open ", instance_root(),
		    "/run", NULL);
	if ((st.st_uid != geteuid() && fchown(fd, geteuid(), (gid_t)-1)) ||
	    ((st.st_mode & 022) && fchmod(fd, 0755)))
		fatal_sys(EX_SL_TEMP, "fatal: cannot repair ", instance_root(),
		    "/run", NULL);
	return fd;
}

/* the listening socket of the injection service: ROOT/run/inject.sock */
static int
inject_socket(void)
{
	struct sockaddr_un sun;
	char num[24];
	int root = open_root(), run = open_run_dir(root), fd;
	mode_t old;

	close(root);
	if (unlinkat(run, "inject.sock", 0) && errno != ENOENT)
		fatal_sys(EX_SL_TEMP, "fatal: cannot remove the old ",
		    INJECT_SOCKET, NULL);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, "/proc/self/fd/");
	strcat(sun.sun_path, ulong_str(num, (unsigned long)run));
	strcat(sun.sun_path, "/inject.sock");
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fatal_sys(EX_SL_TEMP, "fatal: socket", NULL);
	old = umask(0111);
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) || listen(fd, 256))
		fatal_sys(EX_SL_TEMP, "fatal: cannot listen on ",
		    instance_root(), "/" INJECT_SOCKET, NULL);
	umask(old);
	close(run);
	return fd;
}

/* sluice-injectd as sluiceq, the listening socket on its fd 0; its pid
 * goes to sluice-send in SLUICE_INJECTD_PID */
static void
start_injectd(void)
{
	char num[24];
	pid_t me = getpid(), pid;
	int fd = inject_socket();

	pid = fork();
	if (pid < 0)
		fatal_sys(EX_SL_TEMP, "fatal: cannot fork", NULL);
	if (pid == 0)
		run_child(fd, QUEUE_USER, start_program("sluice-injectd"), me);
	close(fd);
	if (setenv("SLUICE_INJECTD_PID", ulong_str(num, (unsigned long)pid),
	    1))
		fatal_nomem(EX_SL_TEMP);
}

/* enter ROOT/queue, made here (normally by sluice-conf init) for bare
 * test instances; as root it is given to sluiceq through its descriptor.
 * It must be a directory, not a symbolic link: setuid sluice-queue takes
 * its settings from the instance that holds the queue directory. */
static void
enter_queue_dir(void)
{
	int root = open_root(), made, fd;
	uid_t uid;
	gid_t gid;

	made = mkdirat(root, "queue", 0750) == 0;
	if (!made && errno != EEXIST)
		fatal_sys(EX_SL_TEMP, "fatal: cannot create ", instance_root(),
		    "/queue", NULL);
	fd = openat(root, "queue", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0 && (errno == ELOOP || errno == ENOTDIR))
		fatal(EX_SL_TEMP, "fatal: refusing to start: ", instance_root(),
		    "/queue is a symbolic link or not a directory", NULL);
	if (fd < 0 || fchdir(fd))
		fatal_sys(EX_SL_TEMP, "fatal: cannot enter ", instance_root(),
		    "/queue", NULL);
	if (made && geteuid() == 0 && (user_ids(QUEUE_USER, &uid, &gid) != 1 ||
	    fchown(fd, uid, gid)))
		fatal_sys(EX_SL_TEMP, "fatal: cannot give ", instance_root(),
		    "/queue to " QUEUE_USER, NULL);
	close(fd);
	close(root);
}

int
main(int argc, char **argv)
{
	const char *what;
	char *send, *args[2];
	int lsock, rsock, r;

	log_init("sluice-start");
	find_bindir();
	enter_queue_dir();
	r = qlayout_ensure(".", &what);
	if (r == QL_ODD)
		fatal(EX_SL_TEMP, "fatal: refusing to start: queue/", what,
		    " is a symbolic link or of the wrong type", NULL);
	if (r)
		fatal_sys(EX_SL_TEMP, "fatal: cannot create queue/", what,
		    NULL);
	start_injectd();
	lsock = start_child("sluicev", start_program("sluice-local"));
	rsock = start_child("sluicer", start_program("sluice-remote"));
	/* fd 3 and 4 may be what the sockets got: move through high fds */
	if (fd_move(20, lsock) || fd_move(21, rsock) || fd_move(3, 20) ||
	    fd_move(4, 21))
		fatal_sys(EX_SL_TEMP, "fatal: cannot move sockets", NULL);
	send = start_program("sluice-send");
	if (priv_drop("sluices"))
		fatal_sys(EX_SL_TEMP, "fatal: cannot switch to user sluices",
		    NULL);
	args[0] = send;
	args[1] = 0;
	execv(send, args);
	fatal_sys(EX_SL_TEMP, "fatal: cannot run ", send, NULL);
}
