/*
 * dnsbl.c -- placeholder until the DNSBL lookup lands: nothing is listed.
 */
#include "abuse.h"
#include "smtpd.h"

const char *
dnsbl_refusal(struct smtpd *s)
{
	return 0;
}
