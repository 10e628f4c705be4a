/*
 * dnscmd.c -- `sluice-conf dns DOMAIN`: every DNS record a domain hosted
 * here needs, as zone-file lines ready to paste: MX, SPF, the DKIM keys'
 * TXT records (when `dkim add` made keys), DMARC with p=quarantine as a
 * safe start, MTA-STS and TLS-RPT placeholders, and the RFC 6186 SRV
 * records that let mail programs find submission, IMAP and POP3 (RFC 8314
 * for the implicit-TLS ports).  A service this instance does not listen
 * for gets the "not offered here" target ".".  Reads only; changes nothing.
 */
#include <string.h>
#include <time.h>
#include <buffer.h>
#include <fmt.h>

#include "conf.h"
#include "control.h"


/* the port the instance listens on for listener name, 0 when none */
static unsigned long
port_of(const struct table *t, const char *name)
{
	long i = table_find(t, name);
	const char *ip, *port;
	unsigned long n = 0;

	if (i < 0)
		return 0;
	ip = t->l[i].val.s;
	for (port = ip + strlen(ip) + 1; *port >= '0' && *port <= '9'; port++)
		n = n * 10 + (unsigned long)(*port - '0');
	return n;
}

static void
out(const char *s)
{
	buffer_puts(buffer_1, s);
}

static void
srv(const char *domain, const char *svc, unsigned long port, const char *me)
{
	char num[FMT_ULONG];

	num[fmt_ulong(num, port)] = 0;
	out("_");
	out(svc);
	out("._tcp.");
	out(domain);
	if (port) {
		out(". IN SRV 0 1 ");
		out(num);
		out(" ");
		out(me);
		out(".\n");
	} else {
		out(". IN SRV 0 0 0 .\n");
	}
}

int
cmd_dns(int argc, char **argv)
{
	static const struct { const char *svc, *listener; } srvs[] = {
		{ "submission", "submission" }, { "submissions", "smtps" },
		{ "imap", "imapd" }, { "imaps", "imaps" },
		{ "pop3", "pop3d" }, { "pop3s", "pop3s" }, { 0, 0 }
	};
	stralloc me = {0};
	struct table t;
	char *d, id[16];
	const char *why;
	time_t now = time(0);
	struct tm *tm = gmtime(&now);
	int i;

	if (argc != 2)
		usage_fail("usage: sluice-conf dns DOMAIN", NULL);
	d = str_join("", argv[1]);
	lower(d);
	if ((why = domain_check(d)))
		usage_fail("dns: ", argv[1], ": ", why, NULL);
	if (!domain_is_local(d))
		usage_fail("dns: ", d, " is not a local domain", NULL);
	if (control_get_str("me", &me) < 0 || me.len < 2)
		sys_fail("dns: unable to read control/me", NULL);
	if (!tm || !strftime(id, sizeof id, "%Y%m%d01", tm))
		sys_fail("dns: unable to read the date", NULL);
	table_load(&t, &ft_listen);
	out("; DNS records for ");
	out(d);
	out(" (sluice-conf dns). Replace the placeholders marked TODO.\n");
	out(d); out(". IN MX 10 "); out(me.s); out(".\n");
	out(d); out(". IN TXT \"v=spf1 mx a:"); out(me.s); out(" ~all\"\n");
	if (!dkim_records_print(d)) {
		out("; no DKIM keys: sluice-conf dkim add ");
		out(d);
		out("\n");
	}
	out("_dmarc."); out(d);
	out(". IN TXT \"v=DMARC1; p=quarantine; adkim=r; aspf=r; rua=mailto:postmaster@");
	out(d); out("\"\n");
	out("; MTA-STS: TODO serve https://mta-sts."); out(d);
	out("/.well-known/mta-sts.txt first, then publish:\n");
	out("_mta-sts."); out(d); out(". IN TXT \"v=STSv1; id="); out(id); out("\"\n");
	out("_smtp._tls."); out(d);
	out(". IN TXT \"v=TLSRPTv1; rua=mailto:postmaster@"); out(d); out("\"\n");
	for (i = 0; srvs[i].svc; i++)
		srv(d, srvs[i].svc, port_of(&t, srvs[i].listener), me.s);
	buffer_flush(buffer_1);
	stralloc_free(&me);
	return 0;
}
