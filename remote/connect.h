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
/* 1 if ip is an address of one of this host's interfaces (or the
 * unspecified address, which reaches this host too), 0 if not, -1 error.
 * The interface list is read once per process (a delivery is a child). */
int ip_is_local(const struct ipaddr *ip);

#endif
