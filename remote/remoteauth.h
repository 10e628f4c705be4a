/*
 * remoteauth.h -- smarthost credentials from control/remoteauth:
 * "HOST USER PASSWORD" lines (the password is the rest of the line),
 * '#' comments.  The file must belong to the user sluice-remote runs as
 * and be mode 0600 (no group or other bits), else it is not used.
 */
#ifndef SLUICE_REMOTEAUTH_H
#define SLUICE_REMOTEAUTH_H

#include <stddef.h>

#define AUTH_FIELD_MAX 255

struct credentials {
	char user[AUTH_FIELD_MAX + 1];
	char pass[AUTH_FIELD_MAX + 1];
};

/* find host (case-insensitive) in the file text buf[0..len).
 * 1 found, 0 not found.  Malformed lines are skipped. */
int remoteauth_find(const char *buf, size_t len, const char *host,
    struct credentials *c);

/* read ROOT/control/remoteauth and look host up.  1 found, 0 no
 * credentials (or no file), -1 unusable file (*why says why) */
int remoteauth_lookup(const char *host, struct credentials *c,
    const char **why);

/* "AUTH PLAIN" initial response: base64 of "\0user\0pass" into out
 * (NUL-terminated; out holds AUTH_B64_MAX bytes); 0 if too long */
#define AUTH_B64_MAX 1400
int auth_plain_response(const struct credentials *c, char *out);
/* base64 of s into out (NUL-terminated), out holds AUTH_B64_MAX bytes */
int auth_b64(const char *s, char *out);

#endif
