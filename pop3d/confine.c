/*
 * confine.c -- the last fence around the mailbox process B of
 * sluice-pop3d, after it has chrooted into the Maildir and become the
 * mailbox owner.
 *
 * Every virtual mailbox has the same owner (sluicev), and so do the
 * local delivery processes.  A compromised B must not reach them: a
 * seccomp filter refuses the system calls that act on other processes
 * (ptrace, process_vm_readv/writev, kill and friends) or leave the
 * session (socket, execve).  B needs none of them: it only reads and
 * renames files in its Maildir and talks over the socket it inherited.
 * Refused calls fail with EPERM.  On an architecture the filter does not
 * know, nothing is installed (the chroot and uid still apply).
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
confine_mailbox(void)
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
confine_mailbox(void)
{
	return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 ? -1 : 0;
}

#endif
