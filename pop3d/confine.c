/*
 * confine.c -- the last fence around the two processes of sluice-pop3d
 * that handle what the client sends: the front A (as sluiced, after it
 * dropped root) and the mailbox process B (as the mailbox owner, after it
 * chrooted into the Maildir).
 *
 * Every virtual mailbox has the same owner (sluicev), like the local
 * delivery processes, and every network server runs as sluiced.  A
 * compromised A or B must not reach its neighbours under the same uid: a
 * seccomp filter refuses the system calls that act on other processes
 * (ptrace, process_vm_readv/writev, kill and friends) or open new ways
 * out (socket, execve), and the process is made non-dumpable.  Neither
 * needs any of them: they only read, write and rename over descriptors
 * they already hold (A receives B's socket with recvmsg).  Refused calls
 * fail with EPERM.  On an architecture the filter does not know, only the
 * non-dumpable flag is set (the chroot and uids still apply).
 *
 * Returns 0, or -1 if the kernel refused the filter.
 */
#include <errno.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "pop3d.h"

#if defined(__x86_64__)
#define FILTER_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define FILTER_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef FILTER_ARCH

#define DENY(nr) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM)

static struct sock_filter filter[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, FILTER_ARCH, 1, 0),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#if defined(__x86_64__)
	/* the x32 system call numbers */
	BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
#endif
	DENY(SYS_ptrace),
	DENY(SYS_process_vm_readv),
	DENY(SYS_process_vm_writev),
	DENY(SYS_kill),
	DENY(SYS_tkill),
	DENY(SYS_tgkill),
	DENY(SYS_rt_sigqueueinfo),
	DENY(SYS_rt_tgsigqueueinfo),
	DENY(SYS_pidfd_open),
	DENY(SYS_socket),
	DENY(SYS_socketpair),
	DENY(SYS_execve),
	DENY(SYS_execveat),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};

int
confine_self(void)
{
	struct sock_fprog prog;

	prog.len = (unsigned short)(sizeof filter / sizeof filter[0]);
	prog.filter = filter;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return -1;
	return 0;
}

#else

int
confine_self(void)
{
	return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 ? -1 : 0;
}

#endif
