/*
 * confine.c -- the last fence around the two processes of sluice-pop3d
 * that handle what the client sends: the front A (as sluiced with no
 * supplementary group, after it dropped root) and the mailbox process B
 * (as the mailbox owner, after it chrooted into the Maildir).
 *
 * A seccomp filter built with libseccomp from an allowlist: what is not
 * listed kills the whole process (SIGSYS), so a system call that the
 * kernel adds later (io_uring_*, pidfd_*, ...) is refused without anyone
 * having to remember it.  The process is also made non-dumpable (no
 * ptrace or /proc/PID/mem from its neighbours under the same uid) and
 * gets no_new_privs.
 *
 *   both    read and write on descriptors already held, poll, close,
 *           memory (mmap and mprotect never with PROT_EXEC), the clock,
 *           getrandom (OpenSSL's reseeding), getpid (OpenSSL's fork
 *           check), fcntl to read or set descriptor flags, exit.
 *   front   recvmsg and sendmsg (the login requests to P and B's socket
 *           passed back), shutdown (the client's end of input told to
 *           B).  No open of any kind: A holds its TLS key from before
 *           the drop and never needs a file.
 *   mailbox openat and reading directories, fstatat, renameat,
 *           unlinkat, fsync, flock, dup, nanosleep: the Maildir work,
 *           inside the chroot; sysinfo (glibc's qsort of a big mailbox).
 * Nothing else: no socket, connect, execve, ptrace, kill, clone, ...
 *
 * Only the native ABI is allowed: on x86_64 a call through the i386
 * (int 0x80) or x32 (numbers with bit 30 set) entry points kills the
 * process too, so another ABI's table cannot be used to get around the
 * list.  libseccomp checks the architecture first and, for x86_64, the
 * x32 bit.
 *
 * Sanitizer builds (-fsanitize=address, as `make asan` builds them; the
 * compiler says so with __SANITIZE_ADDRESS__) let ASan's runtime print
 * its report: the calls it makes then (sigaltstack, opening /proc/self
 * maps, readlink, starting a symbolizer...) fail with EPERM, or are
 * allowed when harmless, instead of killing the process before a word is
 * written.  This needs the sanitizer compiled in, so a production build
 * has no such switch.
 *
 * Returns 0, or -1 if libseccomp or the kernel refused the filter.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <seccomp.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include "pop3d.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZER_BUILD 1
#endif
#endif

/* system calls both processes make */
static const int both_calls[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(close), SCMP_SYS(poll), SCMP_SYS(ppoll),
	SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise),
	SCMP_SYS(futex),
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday),
	SCMP_SYS(time), SCMP_SYS(getrandom), SCMP_SYS(getpid),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(restart_syscall),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
};

static const int front_calls[] = {
	SCMP_SYS(recvmsg), SCMP_SYS(sendmsg), SCMP_SYS(shutdown),
};

static const int mailbox_calls[] = {
	SCMP_SYS(openat), SCMP_SYS(getdents64), SCMP_SYS(newfstatat),
	SCMP_SYS(fstat), SCMP_SYS(lseek), SCMP_SYS(renameat),
	SCMP_SYS(unlinkat), SCMP_SYS(fsync), SCMP_SYS(flock), SCMP_SYS(dup),
	SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(sysinfo),	/* glibc's qsort asks for the memory size */
};

/* fcntl commands allowed: descriptor and status flags, nothing else
 * (no F_SETOWN, leases, F_DUPFD onto chosen numbers, ...) */
static const int fcntl_cmds[] = { F_GETFD, F_SETFD, F_GETFL, F_SETFL };

#ifdef SANITIZER_BUILD
/* what ASan's and UBSan's runtime may do while reporting: harmless ones
 * allowed, the rest refused gracefully */
static const int san_allowed[] = {
	SCMP_SYS(sigaltstack), SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(gettid), SCMP_SYS(sched_yield), SCMP_SYS(getppid),
	SCMP_SYS(prctl),
};
static const int san_refused[] = {
	SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(readlink),
	SCMP_SYS(readlinkat), SCMP_SYS(clone), SCMP_SYS(clone3),
	SCMP_SYS(fork), SCMP_SYS(vfork), SCMP_SYS(execve), SCMP_SYS(ptrace),
	SCMP_SYS(pipe), SCMP_SYS(pipe2), SCMP_SYS(sched_getaffinity),
	SCMP_SYS(getrlimit), SCMP_SYS(prlimit64), SCMP_SYS(setrlimit),
	SCMP_SYS(access), SCMP_SYS(faccessat), SCMP_SYS(stat),
	SCMP_SYS(newfstatat), SCMP_SYS(fstat), SCMP_SYS(kill), SCMP_SYS(tgkill),
	SCMP_SYS(getcwd), SCMP_SYS(statx), SCMP_SYS(lstat), SCMP_SYS(ioctl),
};
#endif

static int
add_all(scmp_filter_ctx ctx, uint32_t action, const int *calls, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (seccomp_rule_add(ctx, action, calls[i], 0) < 0)
			return -1;
	return 0;
}

/* mmap and mprotect, but never to make memory executable (argument 2,
 * prot, masked with PROT_EXEC must be 0) */
static int
add_memory(scmp_filter_ctx ctx)
{
	struct scmp_arg_cmp noexec = { 2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0 };

	if (seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
	    &noexec) < 0)
		return -1;
	return seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect),
	    1, &noexec);
}

/* fcntl with argument 1, the command, one of fcntl_cmds */
static int
add_fcntl(scmp_filter_ctx ctx)
{
	struct scmp_arg_cmp cmd = { 1, SCMP_CMP_EQ, 0, 0 };
	size_t i;

	for (i = 0; i < sizeof fcntl_cmds / sizeof fcntl_cmds[0]; i++) {
		cmd.datum_a = (scmp_datum_t)fcntl_cmds[i];
		if (seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl),
		    1, &cmd) < 0)
			return -1;
	}
	return 0;
}

/* the front's one socket option: TCP_QUICKACK, which lib/netio.c sets
 * at the end of a TLS handshake (setsockopt level IPPROTO_TCP, name
 * TCP_QUICKACK: arguments 1 and 2) */
static int
add_quickack(scmp_filter_ctx ctx)
{
	struct scmp_arg_cmp a[2] = {
		{ 1, SCMP_CMP_EQ, IPPROTO_TCP, 0 },
		{ 2, SCMP_CMP_EQ, TCP_QUICKACK, 0 },
	};

	return seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW,
	    SCMP_SYS(setsockopt), 2, a);
}

#define ADD_ALL(ctx, action, list) \
	add_all((ctx), (action), (list), sizeof (list) / sizeof (list)[0])

static int
add_role(scmp_filter_ctx ctx, enum confine_role role)
{
	if (ADD_ALL(ctx, SCMP_ACT_ALLOW, both_calls) < 0 ||
	    add_memory(ctx) < 0 || add_fcntl(ctx) < 0)
		return -1;
	if (role == CONFINE_FRONT)
		return add_quickack(ctx) < 0 ? -1 :
		    ADD_ALL(ctx, SCMP_ACT_ALLOW, front_calls);
	return ADD_ALL(ctx, SCMP_ACT_ALLOW, mailbox_calls);
}

#ifdef SANITIZER_BUILD
/* a call already in the role's list keeps its rule (libseccomp refuses
 * a second, different action for it: -EEXIST), so ignore that error */
static int
add_sanitizer(scmp_filter_ctx ctx)
{
	size_t i;
	int r;

	for (i = 0; i < sizeof san_allowed / sizeof san_allowed[0]; i++) {
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, san_allowed[i], 0);
		if (r < 0 && r != -EEXIST)
			return -1;
	}
	for (i = 0; i < sizeof san_refused / sizeof san_refused[0]; i++) {
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), san_refused[i],
		    0);
		if (r < 0 && r != -EEXIST)
			return -1;
	}
	return 0;
}
#endif

int
confine_self(enum confine_role role)
{
	scmp_filter_ctx ctx;
	int r = -1;

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -1;
	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return -1;
	/* another ABI on this machine (i386, x32): kill as well */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS) < 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1) < 0)
		goto out;
	if (add_role(ctx, role) < 0)
		goto out;
#ifdef SANITIZER_BUILD
	if (add_sanitizer(ctx) < 0)
		goto out;
#endif
	r = seccomp_load(ctx) < 0 ? -1 : 0;
out:
	seccomp_release(ctx);
	return r;
}
