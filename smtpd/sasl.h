/*
 * sasl.h -- decoding of SASL PLAIN and LOGIN client responses (RFC 4616,
 * RFC 4954) for sluice-smtpd's AUTH.  Pure functions over bytes.
 */
#ifndef SLUICE_SASL_H
#define SLUICE_SASL_H

#include <stddef.h>

#define SASL_USER_MAX	255
#define SASL_PASS_MAX	511

/* Decode base64 s[0..len) into out (room for outmax bytes).  The whole
 * input must be base64.  Returns the decoded length, or -1. */
long sasl_b64decode(const char *s, size_t len, char *out, size_t outmax);

/* Split a decoded PLAIN response "authzid\0authcid\0password".  user
 * and pass get NUL-terminated copies (SASL_USER_MAX + 1 and
 * SASL_PASS_MAX + 1 bytes).  authzid must be empty or equal to authcid
 * (we do not let one user act for another).  1 ok, 0 malformed. */
int sasl_plain_split(const char *m, size_t len, char *user, char *pass);

/* Copy a decoded LOGIN field into out (max bytes plus NUL) refusing NUL
 * octets and empty fields (user) or over-long ones.  1 ok, 0 bad. */
int sasl_field(const char *m, size_t len, char *out, size_t max, int allow_empty);

#endif
