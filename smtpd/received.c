/*
 * received.c -- build the Received: header field (received.h).
 */
#include <string.h>
#include <time.h>

#include "received.h"

const char *
received_proto(int esmtp, int tls, int authed, int utf8)
{
	static const char *const esmtp_names[4] = {
		"ESMTP", "ESMTPS", "ESMTPA", "ESMTPSA" };
	static const char *const utf8_names[4] = {
		"UTF8SMTP", "UTF8SMTPS", "UTF8SMTPA", "UTF8SMTPSA" };
	int i = (tls ? 1 : 0) + (authed ? 2 : 0);

	if (utf8)
		return utf8_names[i];
	if (!esmtp)
		return "SMTP";
	return esmtp_names[i];
}

static int
host_octet(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ||
	    c == ':' || c == '[' || c == ']';
}

void
received_sanitize(char *out, size_t outlen, const char *s, size_t len)
{
	size_t i;

	if (!outlen)
		return;
	for (i = 0; i < len && i + 1 < outlen; i++)
		out[i] = host_octet((unsigned char)s[i]) ? s[i] : '_';
	out[i] = 0;
}

static void
rfc5322_date(char *out, size_t outlen, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	if (!strftime(out, outlen, "%a, %d %b %Y %H:%M:%S +0000", &tm))
		out[0] = 0;
}

int
received_build(stralloc *sa, const struct received_info *ri)
{
	char helo[256], date[64];
	int v6 = strchr(ri->ip, ':') != 0;

	received_sanitize(helo, sizeof helo, ri->helo, strlen(ri->helo));
	rfc5322_date(date, sizeof date, ri->when);
	if (!stralloc_copys(sa, "Received: from ") ||
	    !stralloc_cats(sa, *helo ? helo : "unknown"))
		return 0;
	if (ri->localuser ? !stralloc_cats(sa, " (local user ") ||
	    !stralloc_cats(sa, ri->localuser) || !stralloc_cats(sa, ")\n\tby ") :
	    !stralloc_cats(sa, v6 ? " ([IPv6:" : " ([") ||
	    !stralloc_cats(sa, ri->ip) || !stralloc_cats(sa, "])\n\tby "))
		return 0;
	if (!stralloc_cats(sa, ri->me) ||
	    !stralloc_cats(sa, " (sluice) with ") ||
	    !stralloc_cats(sa, received_proto(ri->esmtp, ri->tls, ri->authed,
	    ri->utf8)))
		return 0;
	if (ri->tls && ri->tlsinfo && *ri->tlsinfo &&
	    (!stralloc_cats(sa, "\n\t(") || !stralloc_cats(sa, ri->tlsinfo) ||
	    !stralloc_cats(sa, ")")))
		return 0;
	if (ri->authed && ri->authuser &&
	    (!stralloc_cats(sa, "\n\t(authenticated as ") ||
	    !stralloc_cats(sa, ri->authuser) || !stralloc_cats(sa, ")")))
		return 0;
	if (ri->rcpt && (!stralloc_cats(sa, "\n\tfor <") ||
	    !stralloc_cats(sa, ri->rcpt) || !stralloc_cats(sa, ">")))
		return 0;
	return stralloc_cats(sa, ";\n\t") && stralloc_cats(sa, date) &&
	    stralloc_cats(sa, "\n");
}
