/*
 * abuse.h -- the hooks of sluice-smtpd's abuse limits (limits.c): counts
 * kept across connections by sluice-anvil (lib/anvil.h), and the DNSBL
 * check (dnsbl.c).  Every hook fails open: when the counter service or
 * DNS cannot answer, the session goes on and one line is logged.
 */
#ifndef SLUICE_SMTPD_ABUSE_H
#define SLUICE_SMTPD_ABUSE_H

struct smtpd;

/* before the greeting: register the connection (maxconnip on port 25)
 * and learn whether the client is in the greeting pass cache
 * (s->greetpass).  1 when the session is over (421 given). */
int limits_connect(struct smtpd *s);
/* end of a session: close the counter service's connection (which ends
 * the "conn" registration) and forget that it failed; a --pool worker
 * calls it before its next session */
void limits_end(void);
/* the client waited for the greeting: remember it (smtpgreetpass) */
void limits_greet_passed(struct smtpd *s);
/* at MAIL: NULL, or the 450 reply for a rate limit */
const char *limits_mail(struct smtpd *s);
/* a message was queued: count it */
void limits_queued(struct smtpd *s);
/* before AUTH: 1 when this IP failed too often (the reply is given) */
int limits_auth_blocked(struct smtpd *s);
/* after a failed login */
void limits_auth_failed(struct smtpd *s);

/* a counter of sluice-anvil (limits.c): its value, or -1 (down) */
long counter_get(const char *key);
void counter_set(const char *key, unsigned long v, const char *ttl);

/* at MAIL: NULL, or 554 naming the DNSBL zone that lists the client
 * (dnsbl.c); asked once per session */
const char *dnsbl_refusal(struct smtpd *s);

#endif
