/*
 * rfcdate.h -- RFC 5322 date-time in UTC ("Sun, 22 Nov 2026 10:20:08 +0000")
 * for Received, Date and Arrival-Date lines.
 */
#ifndef SLUICE_RFCDATE_H
#define SLUICE_RFCDATE_H

#include <time.h>

#define RFCDATE_LEN 40

/* out must hold RFCDATE_LEN bytes; returns out */
char *rfc_date(char *out, time_t t);

#endif
