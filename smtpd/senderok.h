/*
 * senderok.h -- may an authenticated login use this envelope sender?
 * (senderok.c has the rules.)
 */
#ifndef SLUICE_SENDEROK_H
#define SLUICE_SENDEROK_H

/* login: the users.cdb key; sender: the MAIL FROM address ("" = null);
 * delims: recipientdelimiter.  1 allowed, 0 not, -1 lookup error. */
int sender_allowed(const char *login, const char *sender, const char *delims);

#endif
