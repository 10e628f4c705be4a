/*
 * quotanote.h -- quota notes: what sluice-local knows about a nearly
 * full mailbox, kept where sluice-smtpd can read it.
 *
 * Mailboxes are sluicev's, mode 0700, so the SMTP server (sluiced) cannot
 * read a Maildir's maildirsize.  Instead sluice-local writes a note for
 * each mailbox that is at QUOTA_NEAR_PERCENT of its quota or more, and
 * removes it when a delivery finds it below again:
 *
 *   ROOT/quota/ADDRESS     (directory sluicev:sluice, mode 02750: the
 *                          notes get group sluice; each note 0640)
 *   "USED QUOTA STATE\n"   bytes used, the quota it was measured against,
 *                          STATE "near" (>= 90 %) or "full" (the last
 *                          delivery did not fit and was deferred)
 *
 * ADDRESS is the user's users.cdb key (lower case); only keys made of
 * [a-z0-9._+=@-], not starting with '.', at most QUOTANOTE_KEY_MAX bytes
 * get a note (others are never refused at RCPT).  A note is created with
 * link(2), so of two deliveries crossing 90 % at once exactly one sees
 * "created" and sends the warning to the user; updates are rename(2).
 * The note's age is its mtime: the SMTP server trusts it for
 * QUOTANOTE_FRESH seconds (after that, mail is accepted and local
 * delivery, which recounts, decides).
 */
#ifndef SLUICE_QUOTANOTE_H
#define SLUICE_QUOTANOTE_H

#include <stddef.h>
#include <time.h>

#define QUOTA_NEAR_PERCENT	90
#define QUOTANOTE_KEY_MAX	200
#define QUOTANOTE_FRESH		900	/* seconds */
#define QUOTANOTE_LEN_MAX	64	/* bytes in a note */

struct quotanote {
	unsigned long used, quota;
	int full;		/* STATE "full" */
	time_t mtime;
};

/* pure: parse a note's bytes.  1 ok, 0 malformed. */
int quotanote_parse(const char *buf, size_t len, struct quotanote *n);
/* 1 if used is at least QUOTA_NEAR_PERCENT of quota (quota > 0) */
int quota_is_near(unsigned long used, unsigned long quota);
/* 1 if the key may name a note */
int quotanote_key_ok(const char *key);

/* 1 read, 0 no note (or a key without one), -1 error (errno) */
int quotanote_read(const char *key, struct quotanote *n);
/* write or replace the note: 1 created (it was not there), 0 replaced,
 * -1 error (errno; ENOENT: ROOT/quota is missing) */
int quotanote_write(const char *key, unsigned long used, unsigned long quota,
    int full);
/* remove the note if there is one */
void quotanote_remove(const char *key);

#endif
