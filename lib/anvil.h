/*
 * anvil.h -- the counter service (sluice-anvil) and its client.
 *
 * sluice-smtpd runs once per connection, so counts that must hold across
 * connections (connections per IP, messages per user or IP per hour,
 * failed logins per IP, the greeting pass cache, DNSBL answers) live in
 * one small long-lived process, sluice-anvil, that every server asks over
 * a unix stream socket, ROOT/run/anvil/socket.  Postfix's anvil is the
 * model.
 *
 * Protocol: one request line, one reply line, each at most ANVIL_LINE_MAX
 * octets ending in LF; KEY is 1..ANVIL_KEY_MAX printable octets, no space.
 *   conn IP          -> "N P"  register this client's connection from IP
 *                              (until its socket closes); N connections
 *                              from IP now, P 1 if IP is in the pass cache
 *   get KEY          -> "N"    the counter (0 when absent or expired)
 *   add KEY TTL      -> "N"    add 1; a new counter lives TTL seconds
 *   set KEY N TTL    -> "N"    set the counter, living TTL seconds
 *   pass IP TTL      -> "1"    put IP in the pass cache for TTL seconds
 * Anything else -> "error". The table is bounded (ANVIL_TABLE_MAX
 * entries); when full the entry nearest its expiry is dropped.
 *
 * The client: every call is bounded by a timeout; a failure returns -1
 * and the caller fails open (counts are advice, never a reason to refuse
 * mail when the counter service is down).
 */
#ifndef SLUICE_ANVIL_H
#define SLUICE_ANVIL_H

#include <stddef.h>

#define ANVIL_SOCKET "run/anvil/socket"	/* under ROOT */
#define ANVIL_LINE_MAX 512
#define ANVIL_KEY_MAX 300
#define ANVIL_TABLE_MAX 65536
#define ANVIL_CLIENTS_MAX 4096
#define ANVIL_TIMEOUT_MS 1000

/* connect to ROOT/run/anvil/socket; fd or -1 (errno) */
int anvil_connect(void);
/* send req (without LF), read one reply line into reply (NUL-terminated,
 * LF removed); 0 ok, -1 error or timeout */
int anvil_ask(int fd, const char *req, char *reply, size_t replymax);

/* pure: split a request line (without LF) into words; returns the
 * number of words (at most max), or -1 when the line is malformed
 * (control characters, a word longer than ANVIL_KEY_MAX) */
int anvil_words(char *line, char **w, int max);

#endif
