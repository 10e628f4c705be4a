/*
 * relaydom.h -- is a recipient's domain a relay domain, and is the
 * recipient valid there?  (relaydom.c)
 */
#ifndef SLUICE_RELAYDOM_H
#define SLUICE_RELAYDOM_H

enum { RD_NONE, RD_ACCEPT, RD_UNKNOWN, RD_ERROR };

/* local@domain as parsed; delims: recipientdelimiter */
int relay_domain(const char *local, const char *domain, const char *delims);

#endif
