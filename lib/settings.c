/*
 * settings.c -- the table of settings; see settings.h and sluice-conf(8).
 */
#include <string.h>

#include "settings.h"
#include "address.h"
#include "netaddr.h"

const struct setting settings[] = {
	{ "me", ST_HOST, "", 0, 255,
	  "this host's fully qualified name (greeting, Received, bounces)" },
	{ "databytes", ST_UINT, "26214400", 1024, 2147483647UL,
	  "largest message accepted, in bytes" },
	{ "maxrcpt", ST_UINT, "100", 1, 100000,
	  "most recipients per message; more get 452" },
	{ "queuelifetime", ST_UINT, "604800", 60, 31536000,
	  "seconds a message may wait for delivery before it is bounced" },
	{ "concurrencylocal", ST_UINT, "10", 1, 1000,
	  "simultaneous local deliveries" },
	{ "concurrencyremote", ST_UINT, "20", 1, 1000,
	  "simultaneous remote deliveries" },
	{ "concurrencydomain", ST_UINT, "10", 1, 1000,
	  "simultaneous remote deliveries to one destination domain" },
	{ "concurrencyincoming", ST_UINT, "200", 1, 100000,
	  "simultaneous connections per listening service (SMTP: most pool workers; tcpserver -c)" },
	{ "smtpdtcpserver", ST_BOOL, "0", 0, 1,
	  "1: SMTP listeners run tcpserver, one sluice-smtpd per connection, instead of the worker pool" },
	{ "smtpdminidle", ST_UINT, "2", 1, 1000,
	  "SMTP pool: idle workers kept ready to accept (read when the master starts: svc -t)" },
	{ "smtpdmaxuse", ST_UINT, "100", 1, 1000000,
	  "SMTP pool: sessions one worker serves before it exits and is replaced" },
	{ "smtpdmaxidle", ST_UINT, "100", 1, 86400,
	  "SMTP pool: seconds an idle worker waits for a connection before it exits" },
	{ "recipientdelimiter", ST_STR, "+", 0, 4,
	  "characters that start an address extension (user+ext); empty: none" },
	{ "resolvers", ST_LIST, "", 0, 1024,
	  "DNS servers: IP, IP:PORT or [IPv6]:PORT, comma separated; empty: /etc/resolv.conf" },
	{ "timeoutsmtpd", ST_UINT, "300", 5, 3600,
	  "seconds the SMTP server waits for a client command or data" },
	{ "timeoutremote", ST_UINT, "300", 5, 3600,
	  "seconds outbound SMTP waits for each reply" },
	{ "timeoutconnect", ST_UINT, "30", 1, 600,
	  "seconds outbound SMTP waits for a TCP connection" },
	{ "remotecachetime", ST_UINT, "2", 0, 300,
	  "seconds an outbound SMTP connection stays open after a message for the next one to the same destination; 0: never kept" },
	{ "remotereusecount", ST_UINT, "100", 1, 100000,
	  "messages sent over one outbound SMTP connection at most" },
	{ "remotereusetime", ST_UINT, "300", 1, 3600,
	  "seconds after its opening an outbound SMTP connection is no longer reused" },
	{ "timeoutpop3d", ST_UINT, "600", 5, 3600,
	  "seconds the POP3 server waits for a command" },
	{ "maxhops", ST_UINT, "100", 5, 1000,
	  "Received/Delivered-To headers after which a message is a loop" },
	{ "maxbadcommands", ST_UINT, "10", 1, 1000,
	  "bad SMTP/POP3 commands before the server disconnects" },
	{ "maxauthfailures", ST_UINT, "3", 1, 100,
	  "failed logins per connection before it is closed" },
	{ "authfaildelay", ST_UINT, "2", 0, 60,
	  "seconds to wait before answering a failed login" },
	{ "receivedauth", ST_BOOL, "0", 0, 1,
	  "1: name the authenticated login in the Received header" },
	{ "pop3plaintext", ST_BOOL, "0", 0, 1,
	  "1: allow USER/PASS and AUTH before STLS on non-loopback connections" },
	{ "bouncefrom", ST_STR, "MAILER-DAEMON", 1, 64,
	  "local part of the bounce sender's From: address" },
	{ "doublebounceto", ST_STR, "postmaster", 1, 255,
	  "where bounces that cannot be delivered go (local part or address)" },
	{ "bouncemaxbytes", ST_UINT, "0", 0, 2147483647UL,
	  "bytes of the original message included in bounces; 0: headers only" },
	{ "delaywarning", ST_UINT, "14400", 0, 31536000,
	  "seconds a message may wait before its sender is told it is delayed (once); 0: never" },
	{ "retrymin", ST_UINT, "300", 10, 86400,
	  "seconds before the first retry of a deferred delivery" },
	{ "retrymax", ST_UINT, "14400", 60, 604800,
	  "longest interval between retries (the interval doubles up to this)" },
	/* smtpd (sluice-smtpd) */
	{ "smtpgreetdelay", ST_UINT, "500", 0, 30000,
	  "milliseconds the SMTP server on port 25 waits before its greeting; clients that talk first are refused" },
	{ "smtpgreetpass", ST_UINT, "86400", 0, 604800,
	  "seconds a client that waited for the greeting on port 25 skips the greeting pause; 0: never" },
	{ "ratelimitauth", ST_UINT, "1000", 0, 1000000,
	  "messages per hour one authenticated user may send; more get 450 4.7.1; 0: no limit" },
	{ "ratelimitip", ST_UINT, "0", 0, 1000000,
	  "messages per hour from one client IP on port 25 (without AUTH); more get 450 4.7.1; 0: no limit" },
	{ "maxconnip", ST_UINT, "50", 0, 100000,
	  "connections at once from one client IP on port 25; the next gets 421 4.7.0; 0: no limit" },
	{ "maxauthfailip", ST_UINT, "20", 0, 100000,
	  "failed SMTP logins per hour from one client IP, over all its connections, before AUTH gets 421 4.7.0; 0: no limit" },
	{ "dnsbl", ST_LIST, "", 0, 1024,
	  "DNS blocklist zones, comma separated: a port-25 client listed in one (A record in 127.0.0.0/8) gets 554 5.7.1; empty: none" },
	/* logs (the log/run scripts of every service) */
	{ "logsize", ST_UINT, "1000000", 4096, 16777215,
	  "bytes per log file before multilog rotates it (read when the log service starts)" },
	{ "logcount", ST_UINT, "20", 2, 1000,
	  "log files multilog keeps per service, the current one included" },
	/* queue/ (sluice-injectd) */
	{ "injectors", ST_UINT, "4", 1, 64,
	  "processes of the injection service sluice-injectd, each taking one message at a time (read when the queue service starts)" },
	{ "timeoutinject", ST_UINT, "60", 1, 3600,
	  "seconds sluice-injectd waits for each read from a client; a whole request may take ten times that" },
	/* local/ (sluice-local) */
	{ "quotadefer", ST_UINT, "86400", 0, 31536000,
	  "seconds an over-quota message is retried (4.2.2) before it bounces (5.2.2)" },
	{ "timeoutprogram", ST_UINT, "600", 1, 86400,
	  "seconds a delivery program of a per-user file may run before it is killed" },
	/* remote/ (sluice-remote) */
	{ "timeoutdns", ST_UINT, "20", 1, 300,
	  "seconds outbound delivery waits for the DNS answers of one lookup round" },
	{ "notipme", ST_LIST, "", 0, 1024,
	  "IPs or CIDR blocks, comma separated, that outbound delivery does not count as this host although they are loopback or local (another mail server on this machine reached by MX)" },
	/* smtpd/ milter client */
	{ "milters", ST_LIST, "", 0, 1024,
	  "content filters (milter protocol 6) offered every message before the reply to DATA: unix:/PATH or inet:IP:PORT, comma-separated" },
	{ "milterfail", ST_STR, "tempfail", 6, 8,
	  "what a message gets when a milter cannot be reached or misbehaves: tempfail (451) or accept (skip that milter)" },
	{ "timeoutmilter", ST_UINT, "30", 1, 600,
	  "seconds smtpd waits for each answer of a milter" },
	{ "srssecret", ST_STR, "", 0, 128,
	  "secret for the SRS addresses of forwarded mail (made at init; empty: forwards keep their sender)" },
	{ 0, 0, 0, 0, 0, 0 }
};

const struct setting *
setting_find(const char *key)
{
	const struct setting *s;

	for (s = settings; s->key; s++)
		if (!strcmp(s->key, key))
			return s;
	return 0;
}

static int
valid_uint(const struct setting *s, const char *t, const char **why)
{
	unsigned long v = 0;
	size_t i;

	if (!*t) {
		*why = "empty number";
		return 0;
	}
	for (i = 0; t[i]; i++) {
		if (t[i] < '0' || t[i] > '9') {
			*why = "not a decimal number";
			return 0;
		}
		if (i >= 10) {
			*why = "number too large";
			return 0;
		}
		v = v * 10 + (unsigned long)(t[i] - '0');
	}
	if (v < s->min || v > s->max) {
		*why = "number out of range";
		return 0;
	}
	return 1;
}

/* each comma-separated item of t must satisfy ok(); else *why = err */
static int
valid_items(const char *t, int (*ok)(const char *, size_t), const char *err,
    const char **why)
{
	const char *p = t;

	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (!ok(p, len)) {
			*why = err;
			return 0;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return 1;
}

static int
resolver_ok(const char *p, size_t len)
{
	struct hostport hp;

	return hostport_parse_ip(p, len, 53, &hp);
}

static int
milter_ok(const char *p, size_t len)
{
	struct sockspec sp;

	return sockspec_parse(p, len, &sp);
}

static int
zone_ok(const char *p, size_t len)
{
	return len && len <= 200 && domain_valid(p, len) && memchr(p, '.', len);
}

static int
cidr_ok(const char *p, size_t len)
{
	struct cidr c;

	return cidr_parse(p, len, &c);
}

static int
valid_resolvers(const char *t, const char **why)
{
	return valid_items(t, resolver_ok,
	    "resolver must be IP, IP:PORT or [IPv6]:PORT", why);
}

static int
valid_milters(const char *t, const char **why)
{
	return valid_items(t, milter_ok,
	    "milter must be unix:/PATH or inet:IP:PORT", why);
}

/* dnsbl: domain names, comma separated */
static int
valid_zones(const char *t, const char **why)
{
	return valid_items(t, zone_ok,
	    "each zone must be a domain name (zone.example)", why);
}

static int
valid_cidrs(const char *t, const char **why)
{
	return valid_items(t, cidr_ok,
	    "expected IP or IP/BITS, comma separated", why);
}

static int
valid_milterfail(const char *t, const char **why)
{
	if (!strcmp(t, "tempfail") || !strcmp(t, "accept"))
		return 1;
	*why = "must be tempfail or accept";
	return 0;
}

/* the settings whose value has a grammar of its own */
static const struct {
	const char *key;
	int (*valid)(const char *, const char **);
} grammars[] = {
	{ "resolvers", valid_resolvers },
	{ "milters", valid_milters },
	{ "milterfail", valid_milterfail },
	{ "dnsbl", valid_zones },
	{ "notipme", valid_cidrs },
	{ 0, 0 }
};

static int
valid_by_key(const struct setting *s, const char *t, const char **why)
{
	size_t i;

	for (i = 0; grammars[i].key; i++)
		if (!strcmp(grammars[i].key, s->key))
			return grammars[i].valid(t, why);
	return 1;
}

int
setting_valid(const struct setting *s, const char *t, const char **why)
{
	size_t len = strlen(t), i;

	*why = "";
	if (s->type != ST_UINT && s->type != ST_BOOL && len > s->max) {
		*why = "value too long";
		return 0;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)t[i] < 32 || (unsigned char)t[i] == 127) {
			*why = "control character in value";
			return 0;
		}
	switch (s->type) {
	case ST_UINT:
	case ST_BOOL:
		return valid_uint(s, t, why);
	case ST_HOST:
		if (!len) {
			*why = "empty host name";
			return 0;
		}
		if (!domain_valid(t, len)) {
			*why = "not a valid domain name";
			return 0;
		}
		return 1;
	case ST_LIST:
		return valid_by_key(s, t, why);
	case ST_STR:
		if (len < s->min) {
			*why = "value too short";
			return 0;
		}
		for (i = 0; i < len; i++)
			if (t[i] == ' ' || t[i] == '\t') {
				*why = "space in value";
				return 0;
			}
		return valid_by_key(s, t, why);
	}
	return 0;
}
