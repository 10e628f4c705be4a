/*
 * cpw.h -- the input of a Dovecot checkpassword program (Dovecot's
 * extension of qmail's checkpassword interface), parsed purely.
 *
 * Dovecot writes to the program's fd 3, then closes it:
 *     USER \0 PASSWORD \0 [further NUL-terminated fields]
 * at most CPW_INPUT_MAX bytes in all.  USER must be 1..CPW_USER_MAX
 * printable octets (0x21..0x7e); PASSWORD may be empty (the caller then
 * refuses the login) and holds no NUL by construction.
 */
#ifndef SLUICE_CPW_H
#define SLUICE_CPW_H

#include <stddef.h>

#define CPW_INPUT_MAX 512
#define CPW_USER_MAX 255

struct cpw_input {
	const char *user;	/* NUL-terminated views into the buffer */
	size_t userlen;
	const char *pass;
	size_t passlen;
};

/* 1 ok, 0 malformed (missing NUL, empty or unprintable user, too long) */
int cpw_parse(const char *buf, size_t len, struct cpw_input *in);

#endif
