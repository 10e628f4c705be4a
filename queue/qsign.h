/*
 * qsign.h -- DKIM signing in sluice-queue, the one process that can read
 * the keys (ROOT/dkim, owned by sluiceq, mode 0700; conf/dkimcmd.c).
 *
 * Which mail is signed: everything injected, unless the caller says
 * SLUICE_DKIM=no.  sluice-smtpd says so for sessions that neither
 * authenticated nor may relay (mail from outside), sluice-local for
 * forwards (someone else's mail passing through).  Local sendmail users,
 * authenticated and relay clients, and bounces are signed.  A caller can
 * only ask for less signing, never for another domain's key: the key is
 * chosen by the domain of the message's single From: address, and only
 * when ROOT/dkim/DOMAIN/current names keys.
 *
 * How: the header section is read first (at most DKIM_HDR_MAX bytes; a
 * bigger one goes unsigned), the keys are loaded, and the exact length of
 * the signature fields is reserved in the queue file below sluice-queue's
 * Received line; the body streams through the hash as it is written, and
 * at the end the fields are written into the reserved room (pwrite)
 * before the fsync.  Nothing is copied twice.
 */
#ifndef SLUICE_QSIGN_H
#define SLUICE_QSIGN_H

#include <stddef.h>
#include <stralloc.h>

#include "dkim.h"

struct qsign {
	int active;		/* keys loaded, room reserved */
	struct dkim_signer s;
	struct dkim_key keys[2];
	size_t nkeys;
	unsigned long now;
	size_t reserved;	/* bytes of room for the fields */
	char domain[DKIM_DOMAIN_MAX + 1];
};

/* does the caller want signing (SLUICE_DKIM is not "no")? */
int qsign_wanted(void);
/* the header section in head (complete: it ends with an empty line, or the
 * message has no body): find the From: domain and its keys under dkimdir.
 * 1 signing (q->reserved bytes must be reserved), 0 not signing (no keys,
 * no single From: address, header too big), -1 a key could not be read
 * (logged; the message is queued unsigned) */
int qsign_begin(struct qsign *q, const char *dkimdir, const char *head,
    size_t len);
/* body bytes as written */
void qsign_body(struct qsign *q, const char *buf, size_t len);
/* the fields, exactly q->reserved bytes, into out.  0 ok, -1 failed */
int qsign_finish(struct qsign *q, stralloc *out);
void qsign_free(struct qsign *q);

/* the domain of a From: field body with exactly one address, lower case,
 * into out (DKIM_DOMAIN_MAX + 1); 0 when there is none or it is not a
 * plain host name */
int qsign_from_domain(const char *v, size_t len, char *out);

#endif
