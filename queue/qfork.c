/*
 * qfork.c -- see qfork.h.
 */
#include <sys/socket.h>
#include <unistd.h>

#include "exitcodes.h"
#include "logmsg.h"
#include "qfork.h"

pid_t
fork_socketpair(int *sock)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		fatal_sys(EX_SL_TEMP, "fatal: cannot make a socketpair", NULL);
	pid = fork();
	if (pid < 0)
		fatal_sys(EX_SL_TEMP, "fatal: cannot fork", NULL);
	close(sv[pid == 0 ? 0 : 1]);
	*sock = sv[pid == 0 ? 1 : 0];
	return pid;
}
