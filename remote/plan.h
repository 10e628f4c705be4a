/*
 * plan.h -- the list of hosts and addresses to try for one delivery
 * (static route, MX, A/AAAA fallback, address literal); see plan.c.
 */
#ifndef SLUICE_PLAN_H
#define SLUICE_PLAN_H

#include <stddef.h>
#include "dnsres.h"
#include "remote.h"

#define TARGETS_MAX 24	/* connections tried per delivery, at most */

struct plan {
	struct target t[TARGETS_MAX];
	size_t n;
	char names[MX_MAX][DNS_NAME_MAX + 1];
};

/* fill p for d->j->domain.  0: try p's targets (d->tls_verify and d->cred
 * set from the route); -1: every recipient has been given a result
 * (bounce or deferral through delivery_give_up).  resolvers: the setting
 * ("" for /etc/resolv.conf); timeout_dns: seconds per lookup round. */
int plan_make(struct delivery *d, const char *resolvers,
    unsigned long timeout_dns, struct plan *p, struct credentials *cred);

#endif
