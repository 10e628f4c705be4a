/*
 * ctl.c -- messages between the front (A) and the parent (P) of
 * sluice-pop3d travel over a SOCK_SEQPACKET pair with lib/packet.h's
 * packet_send/packet_recv (one descriptor may ride along; a message
 * longer than the receiver's buffer is an error).  ctl_split_login is the pure parser of A's login request, which P runs
 * on bytes a compromised A could have chosen.
 */
#include <string.h>

#include "pop3d.h"

int
ctl_split_login(char *msg, size_t len, char **user, char **pass)
{
	char *z1, *z2;

	if (len < 4 || msg[0] != 'A' || msg[len - 1] != 0)
		return 0;
	z1 = memchr(msg + 1, 0, len - 1);
	if (!z1 || z1 == msg + 1 || z1 == msg + len - 1)
		return 0;
	z2 = memchr(z1 + 1, 0, (size_t)(msg + len - z1 - 1));
	if (z2 != msg + len - 1 || z2 == z1 + 1)
		return 0;
	*user = msg + 1;
	*pass = z1 + 1;
	return 1;
}
