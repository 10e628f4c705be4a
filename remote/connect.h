/*
 * connect.h -- outbound TCP connections with a time limit, and the test
 * whether an address is this host (mail to it would loop).
 */
#ifndef SLUICE_CONNECT_H
#define SLUICE_CONNECT_H

#include "netaddr.h"

/* connected blocking socket, or -1 with errno (ETIMEDOUT after
 * timeout_s seconds) */
int tcp_connect(const struct ipaddr *ip, unsigned int port,
    unsigned int timeout_s);
/* 1 if ip is this host, 0 if not, -1 error (the caller must not guess).
 * This host is: the unspecified address (0.0.0.0, ::), the addresses in
 * control/listen (where this instance's servers listen), all of
 * 127.0.0.0/8 and ::1 (every loopback address reaches this machine), and
 * the addresses of its interfaces; minus what the notipme setting lists
 * (another mail server on this machine; never a listen address).  Read
 * again when a minute old (delivery workers live for many jobs). */
int ip_is_local(const struct ipaddr *ip);

#endif
