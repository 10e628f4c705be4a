/*
 * rfcdate.c -- see rfcdate.h.  Names are spelled out here rather than
 * taken from the locale, so the result never depends on LC_TIME.
 */
#include <stdio.h>

#include "rfcdate.h"

char *
rfc_date(char *out, time_t t)
{
	static const char day[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char mon[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, RFCDATE_LEN, "%s, %d %s %d %02d:%02d:%02d +0000",
	    day[tm.tm_wday % 7], tm.tm_mday, mon[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return out;
}
