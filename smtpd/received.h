/*
 * received.h -- the Received: header field sluice-smtpd prepends to each
 * message (RFC 5321 4.4), with the protocol name of RFC 3848 / RFC 6531
 * (SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA, UTF8SMTP...).  Pure: the caller
 * passes the time.  Output has LF line ends, like the queued message.
 */
#ifndef SLUICE_RECEIVED_H
#define SLUICE_RECEIVED_H

#include <time.h>
#include <stralloc.h>

struct received_info {
	const char *helo;	/* as given by the client (sanitized here) */
	const char *ip;		/* client IP, text */
	const char *me;		/* this host */
	int esmtp, tls, authed, utf8;
	const char *tlsinfo;	/* "TLSv1.3 TLS_AES_... 256" or "" */
	const char *authuser;	/* named only when non-NULL */
	const char *rcpt;	/* the single recipient, or NULL */
	const char *localuser;	/* "LOGIN uid N" for a local session
				   (sendmail -bs) instead of the IP, or NULL */
	time_t when;
};

/* "ESMTPSA" etc. */
const char *received_proto(int esmtp, int tls, int authed, int utf8);
/* copy s into out (size outlen, NUL-terminated), keeping only the octets
 * allowed in a host name or address literal; others become '_' */
void received_sanitize(char *out, size_t outlen, const char *s, size_t len);
/* sa = the header field, folded, ending in LF.  1 ok, 0 out of memory */
int received_build(stralloc *sa, const struct received_info *ri);

#endif
