/*
 * qfork.h -- fork a helper joined to us by a SOCK_SEQPACKET socketpair
 * (sluice-start's delivery programs, sluice-send's keeper).
 */
#ifndef SLUICE_QFORK_H
#define SLUICE_QFORK_H

#include <sys/types.h>

/* In the parent: returns the child's pid, *sock is our end.  In the
 * child: returns 0, *sock is its end.  Both ends are close-on-exec.
 * Exits 111 with one line when the socketpair or the fork fails. */
pid_t fork_socketpair(int *sock);

#endif
