/*
 * t_confine.c -- sluice-pop3d's seccomp allowlists (pop3d/confine.c),
 * installed by the same confine_self() the server calls, each in a
 * forked child that then tries one system call.  The child is killed by
 * SIGSYS for what the role does not allow; the calls the server needs
 * still work.  Calls through another ABI (i386 int 0x80, x32 numbers)
 * are killed too.
 *
 * In a sanitizer build the few calls ASan's runtime makes while
 * reporting (open, readlink, clone, ...) fail with EPERM instead of
 * killing (see confine.c), so for those either outcome means "refused".
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "packet.h"
#include "../../pop3d/pop3d.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZER_BUILD 1
#endif
#endif

/* NOABI: SIGSEGV from int 0x80 on a kernel without the i386 ABI */
enum outcome { RAN, REFUSED, KILLED, NOFILTER, NOABI, OTHER };

/* a probe returns 0 when the call did its job, -1 with errno when not */
typedef int (*probe_fn)(void);

static int spare[2];	/* socket pairs made before the filter */
static int shut[2];

static enum outcome
run_probe(enum confine_role role, probe_fn probe)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return OTHER;
	if (pid == 0) {
		if (confine_self(role) < 0)
			_exit(3);
		if (probe() == 0)
			_exit(0);
		_exit(errno == EPERM ? 1 : 2);
	}
	if (waitpid(pid, &status, 0) < 0)
		return OTHER;
	if (WIFSIGNALED(status))
		return WTERMSIG(status) == SIGSYS ? KILLED :
		    WTERMSIG(status) == SIGSEGV ? NOABI : OTHER;
	switch (WEXITSTATUS(status)) {
	case 0: return RAN;
	case 1: return REFUSED;
	case 3: return NOFILTER;
	default: return OTHER;
	}
}

/* the calls an attacker inside the process would want */
static int
p_open(void)
{
	int fd = (int)syscall(SYS_open, "/etc/passwd", O_RDONLY);

	return fd < 0 ? -1 : 0;
}

static int
p_openat(void)
{
	return open("/etc/passwd", O_RDONLY) < 0 ? -1 : 0;
}

static int
p_io_uring(void)
{
	char params[120];

	memset(params, 0, sizeof params);
	return syscall(SYS_io_uring_setup, 1, params) < 0 ? -1 : 0;
}

static int
p_pidfd(void)
{
	return syscall(SYS_pidfd_open, getppid(), 0) < 0 ? -1 : 0;
}

static int
p_socket(void)
{
	return socket(AF_INET, SOCK_STREAM, 0) < 0 ? -1 : 0;
}

static int
p_execve(void)
{
	char *argv[] = { (char *)"/bin/true", 0 };

	execve(argv[0], argv, argv + 1);
	return -1;
}

static int
p_ptrace(void)
{
	return syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, getppid(), 0, 0) < 0 ?
	    -1 : 0;
}

static int
p_kill(void)
{
	return syscall(SYS_kill, getppid(), 0) < 0 ? -1 : 0;
}

static int
p_mmap_exec(void)
{
	void *p = mmap(0, 4096, PROT_READ | PROT_EXEC,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? -1 : 0;
}

static int
p_fcntl_setown(void)
{
	return fcntl(spare[0], F_SETOWN, getpid()) < 0 ? -1 : 0;
}

static int
p_fork(void)
{
	return syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0) < 0 ? -1 : 0;
}

#if defined(__x86_64__)
/* getpid through the i386 entry point (number 20 there) */
static int
p_i386(void)
{
	long r;

	__asm__ volatile ("int $0x80" : "=a" (r) : "a" (20L) : "memory");
	return r < 0 ? -1 : 0;
}

/* getpid with the x32 bit set */
static int
p_x32(void)
{
	return syscall(0x40000000L | SYS_getpid) < 0 ? -1 : 0;
}
#endif

/* what the server does need */
static int
p_rw(void)
{
	char c = 'x';

	if (write(spare[0], &c, 1) != 1 || read(spare[1], &c, 1) != 1)
		return -1;
	return c == 'x' ? 0 : -1;
}

/* a descriptor passed along, as P passes B's socket to A */
static int
p_pass_fd(void)
{
	char c = '+';
	int fd = -1;

	if (packet_send(spare[0], &c, 1, spare[0]) < 0 ||
	    packet_recv(spare[1], &c, 1, &fd) != 1 || fd < 0)
		return -1;
	return close(fd);
}

static int
p_memory(void)
{
	char *p = malloc(1 << 20);	/* big enough for mmap */
	void *m = mmap(0, 8192, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (!p || m == MAP_FAILED)
		return -1;
	memset(p, 1, 1 << 20);
	free(p);
	return munmap(m, 8192);
}

static int
p_misc(void)
{
	char buf[16];
	int fl = fcntl(spare[0], F_GETFL);

	if (fl < 0 || fcntl(spare[0], F_SETFL, fl | O_NONBLOCK) < 0 ||
	    syscall(SYS_getrandom, buf, sizeof buf, 0) != sizeof buf ||
	    getpid() <= 0 || shutdown(shut[0], SHUT_WR) < 0)
		return -1;
	return 0;
}

/* the mailbox process's Maildir work, in the current directory */
static int
p_maildir(void)
{
	int fd = open("t_confine.tmp", O_RDWR | O_CREAT | O_EXCL, 0600);

	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0 || fsync(fd) < 0 ||
	    renameat(AT_FDCWD, "t_confine.tmp", AT_FDCWD, "t_confine.tmp2") < 0)
		return -1;
	close(fd);
	return unlinkat(AT_FDCWD, "t_confine.tmp2", 0);
}

static int
refused(enum outcome o, int graceful_in_sanitizer)
{
#ifdef SANITIZER_BUILD
	if (graceful_in_sanitizer)
		return o == KILLED || o == REFUSED;
#endif
	(void)graceful_in_sanitizer;
	return o == KILLED;
}

#if defined(__x86_64__)
static void
check_i386(void)
{
	enum outcome o = run_probe(CONFINE_FRONT, p_i386);

	if (o == NOABI)
		printf("# this kernel has no i386 ABI: nothing to refuse\n");
	CHECK(o == KILLED || o == NOABI,
	    "front: a call through the i386 ABI kills");
}
#endif

static void
test_front(void)
{
	CHECK(run_probe(CONFINE_FRONT, p_rw) == RAN, "front: read and write");
	CHECK(run_probe(CONFINE_FRONT, p_pass_fd) == RAN,
	    "front: a descriptor received with recvmsg");
	CHECK(run_probe(CONFINE_FRONT, p_memory) == RAN, "front: malloc, mmap");
	CHECK(run_probe(CONFINE_FRONT, p_misc) == RAN,
	    "front: fcntl flags, getrandom, getpid, shutdown");
	CHECK(refused(run_probe(CONFINE_FRONT, p_open), 1),
	    "front: open kills");
	CHECK(refused(run_probe(CONFINE_FRONT, p_openat), 1),
	    "front: openat kills");
	CHECK(refused(run_probe(CONFINE_FRONT, p_maildir), 1),
	    "front: no Maildir work either");
	CHECK(refused(run_probe(CONFINE_FRONT, p_io_uring), 0),
	    "front: io_uring_setup kills");
	CHECK(refused(run_probe(CONFINE_FRONT, p_pidfd), 0),
	    "front: pidfd_open kills");
	CHECK(refused(run_probe(CONFINE_FRONT, p_socket), 0),
	    "front: socket kills");
	CHECK(refused(run_probe(CONFINE_FRONT, p_execve), 1),
	    "front: execve kills");
	CHECK(refused(run_probe(CONFINE_FRONT, p_ptrace), 1),
	    "front: ptrace kills");
	CHECK(refused(run_probe(CONFINE_FRONT, p_kill), 1),
	    "front: kill kills");
	CHECK(refused(run_probe(CONFINE_FRONT, p_fork), 1),
	    "front: clone kills");
	CHECK(refused(run_probe(CONFINE_FRONT, p_mmap_exec), 0),
	    "front: executable mmap kills");
	CHECK(refused(run_probe(CONFINE_FRONT, p_fcntl_setown), 0),
	    "front: fcntl F_SETOWN kills");
#if defined(__x86_64__)
	check_i386();
	CHECK(run_probe(CONFINE_FRONT, p_x32) == KILLED,
	    "front: a call through the x32 ABI kills");
#endif
}

static void
test_mailbox(void)
{
	CHECK(run_probe(CONFINE_MAILBOX, p_maildir) == RAN,
	    "mailbox: open, flock, fsync, rename, unlink");
	CHECK(run_probe(CONFINE_MAILBOX, p_openat) == RAN,
	    "mailbox: open (the chroot is its fence)");
	CHECK(run_probe(CONFINE_MAILBOX, p_rw) == RAN,
	    "mailbox: read and write");
	CHECK(run_probe(CONFINE_MAILBOX, p_memory) == RAN,
	    "mailbox: malloc, mmap");
	CHECK(refused(run_probe(CONFINE_MAILBOX, p_socket), 0),
	    "mailbox: socket kills");
	CHECK(refused(run_probe(CONFINE_MAILBOX, p_execve), 1),
	    "mailbox: execve kills");
	CHECK(refused(run_probe(CONFINE_MAILBOX, p_io_uring), 0),
	    "mailbox: io_uring_setup kills");
	CHECK(refused(run_probe(CONFINE_MAILBOX, p_pidfd), 0),
	    "mailbox: pidfd_open kills");
	CHECK(refused(run_probe(CONFINE_MAILBOX, p_ptrace), 1),
	    "mailbox: ptrace kills");
	CHECK(refused(run_probe(CONFINE_MAILBOX, p_kill), 1),
	    "mailbox: kill kills");
	CHECK(refused(run_probe(CONFINE_MAILBOX, p_pass_fd), 0),
	    "mailbox: recvmsg/sendmsg kill");
#if defined(__x86_64__)
	CHECK(run_probe(CONFINE_MAILBOX, p_x32) == KILLED,
	    "mailbox: a call through the x32 ABI kills");
#endif
}

int
main(void)
{
	char dir[] = "/tmp/t_confine.XXXXXX";

	if (!mkdtemp(dir) || chdir(dir) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, spare) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, shut) < 0) {
		perror("t_confine setup");
		return 1;
	}
	test_front();
	test_mailbox();
	if (chdir("/") == 0)
		rmdir(dir);
	return TAP_DONE();
}
