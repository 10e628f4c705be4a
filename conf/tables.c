/*
 * tables.c -- the file formats sluice-conf owns (HACKING.md "File formats",
 * userdb.h): one parser per table turning a text line into the cdb key and
 * value, and the checks on addresses, domains and hosts they share with
 * the commands.  Pure functions over strings, apart from domain_is_local.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../remote/route.h"
#include "conf.h"
#include "address.h"
#include "netaddr.h"
#include "userdb.h"
#include "logmsg.h"

#define QUOTA_MAX 0x7fffffffffffffffUL
#define PASSWORD_FIELD_MAX 255
#define CREDENTIAL_MAX 255	/* sluice-remote's AUTH_FIELD_MAX */

/* next space-separated word of *p into w[0..*len); 0 at end of line */
static int
word(const char **p, const char **w, size_t *len)
{
	const char *s = *p;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return 0;
	*w = s;
	while (*s && *s != ' ' && *s != '\t')
		s++;
	*len = (size_t)(s - *w);
	*p = s;
	return 1;
}

static int
catb_lower(stralloc *sa, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if (!stralloc_append(sa, &c))
			return 0;
	}
	return 1;
}

const char *
domain_check(const char *d)
{
	size_t len = strlen(d);

	if (!len)
		return "empty domain";
	if (len > ADDR_DOMAIN_MAX || !domain_valid(d, len))
		return "not a valid domain name";
	if (!memchr(d, '.', len))
		return "domain name needs a dot";
	return 0;
}

static int
local_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
	    c == '_' || c == '-' || c == '+' || c == '=';
}

const char *
mailbox_parse(const char *s, char *out, size_t outlen, const char **domain)
{
	struct addr a;
	size_t i;
	int r = addr_parse(s, strlen(s), ADDR_NO_BRACKETS, &a);

	if (r != ADDR_OK)
		return addr_strerror(r);
	if (!a.has_domain || a.is_literal || a.is_utf8)
		return "address must be local@domain with a domain name";
	lower(a.local);
	for (i = 0; a.local[i]; i++)
		if (!local_char_ok(a.local[i]))
			return "local part may hold only a-z 0-9 . _ - + =";
	if (a.local[0] == '.' || strstr(a.local, ".."))
		return "bad dots in local part";
	if (domain_check(a.domain))
		return domain_check(a.domain);
	if (a.local_len + 1 + a.domain_len + 1 > outlen)
		return "address too long";
	memcpy(out, a.local, a.local_len);
	out[a.local_len] = '@';
	memcpy(out + a.local_len + 1, a.domain, a.domain_len + 1);
	if (domain)
		*domain = out + a.local_len + 1;
	return 0;
}

int
domain_is_local(const char *d)
{
	static struct table t;
	static int loaded;

	if (!loaded) {
		table_load(&t, &ft_domains);
		loaded = 1;
	}
	return table_find(&t, d) >= 0;
}

/* control/domains: "DOMAIN [programs]" */
static const char *
parse_domain(const char *line, stralloc *key, stralloc *val)
{
	const char *p = line, *w;
	size_t len;
	char d[ADDR_DOMAIN_MAX + 1];

	if (!word(&p, &w, &len))
		return "empty line";
	if (len > ADDR_DOMAIN_MAX)
		return "domain name too long";
	memcpy(d, w, len);
	d[len] = 0;
	lower(d);
	if (domain_check(d))
		return domain_check(d);
	if (!stralloc_copys(key, d))
		return "out of memory";
	while (word(&p, &w, &len)) {
		if (len != 8 || memcmp(w, "programs", 8))
			return "unknown domain option (only \"programs\")";
		if ((val->len && !stralloc_append(val, " ")) ||
		    !stralloc_catb(val, w, len))
			return "out of memory";
	}
	return 0;
}

static const char *
number(const char *s, size_t len, unsigned long max, unsigned long *v)
{
	size_t i;

	*v = 0;
	if (!len || len > 19)
		return "bad number";
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return "bad number";
		*v = *v * 10 + (unsigned long)(s[i] - '0');
	}
	return *v > max ? "number too large" : 0;
}

/* users/users: "ADDRESS:HASH:HOME:QUOTA:UID:GID" (HOME may hold ':') */
static const char *
parse_user(const char *line, stralloc *key, stralloc *val)
{
	const char *c1, *c2, *end = line + strlen(line), *f[3], *why;
	char addr[ADDR_PATH_MAX + 3], *tmp;
	unsigned long n;
	size_t hl;
	int i;

	c1 = strchr(line, ':');
	c2 = c1 ? strchr(c1 + 1, ':') : 0;
	if (!c2)
		return "expected ADDRESS:HASH:HOME:QUOTA:UID:GID";
	for (i = 2; i >= 0; i--) {	/* GID, UID, QUOTA from the right */
		const char *q = end;
		while (q > c2 + 1 && q[-1] != ':')
			q--;
		if (q <= c2 + 1)
			return "expected ADDRESS:HASH:HOME:QUOTA:UID:GID";
		f[i] = q;
		if ((why = number(q, (size_t)(end - q), i ? 4294967295UL :
		    QUOTA_MAX, &n)))
			return why;
		end = q - 1;
	}
	tmp = str_join("", line);
	tmp[c1 - line] = 0;
	if ((why = mailbox_parse(tmp, addr, sizeof addr, 0)))
		return why;
	if (strcmp(addr, tmp))
		return "address not in canonical (lower case) form";
	hl = (size_t)(c2 - c1 - 1);
	if (!hl || hl > PASSWORD_FIELD_MAX || memchr(c1 + 1, ' ', hl))
		return "bad password hash field";
	if (end - (c2 + 1) < 2 || c2[1] != '/' ||
	    end - (c2 + 1) > USER_HOME_MAX)
		return "home must be an absolute path";
	if (!stralloc_copys(key, addr) ||
	    !stralloc_catb(val, c1 + 1, hl) || !stralloc_0(val) ||
	    !stralloc_catb(val, c2 + 1, (size_t)(end - c2 - 1)) ||
	    !stralloc_0(val) ||
	    !stralloc_catb(val, f[0], (size_t)(f[1] - 1 - f[0])) ||
	    !stralloc_0(val) ||
	    !stralloc_catb(val, f[1], (size_t)(f[2] - 1 - f[1])) ||
	    !stralloc_0(val) || !stralloc_cats(val, f[2]))
		return "out of memory";
	return 0;
}

/* an alias key: "postmaster", "@domain" or local@domain */
const char *
alias_key_parse(const char *s, char *out, size_t outlen)
{
	if (!strcasecmp(s, "postmaster")) {
		memcpy(out, "postmaster", 11);
		return 0;
	}
	if (s[0] == '@') {
		const char *why;
		if (strlen(s) + 1 > outlen)
			return "domain too long";
		memcpy(out, s, strlen(s) + 1);
		lower(out);
		why = domain_check(out + 1);
		return why;
	}
	return mailbox_parse(s, out, outlen, 0);
}

/* an alias target: an address, or (bare) a local part of the same domain */
const char *
alias_target_parse(const char *s, size_t len, int bare_ok, char *out)
{
	struct addr a;
	int r = addr_parse(s, len, ADDR_NO_BRACKETS | ADDR_LOCAL_OK, &a);
	size_t n;

	if (r != ADDR_OK)
		return addr_strerror(r);
	if (!a.has_domain && !bare_ok)
		return "target must be a full address here";
	n = addr_format(&a, out);
	if (memchr(out, ',', n) || memchr(out, ' ', n) || memchr(out, '\t', n)
	    || has_ctl(out, n))
		return "target may not contain commas, spaces or control "
		    "characters";
	return 0;
}

/* 1 if target t (bare local part or address) names the alias key k itself */
static int
alias_to_itself(const char *k, const char *t)
{
	const char *at = strchr(k, '@');
	size_t tl = strlen(t);

	if (strchr(t, '@'))
		return !strcasecmp(k, t);
	return at && at != k && (size_t)(at - k) == tl &&
	    !strncasecmp(k, t, tl);
}

/* users/aliases: "KEY: TARGET, TARGET" */
static const char *
parse_alias(const char *line, stralloc *key, stralloc *val)
{
	const char *colon = strstr(line, ": "), *p, *why;
	char k[ADDR_PATH_MAX + 3], t[ADDR_PATH_MAX + 3];
	char *ks;
	int bare_ok, n = 0;

	if (!colon)
		colon = strchr(line, ':');
	if (!colon)
		return "expected ADDRESS: TARGET, TARGET...";
	ks = str_join("", line);
	ks[colon - line] = 0;
	if ((why = alias_key_parse(ks, k, sizeof k)))
		return why;
	if (!stralloc_copys(key, k))
		return "out of memory";
	bare_ok = strcmp(k, "postmaster") != 0;
	for (p = colon + 1; *p; ) {
		const char *e;
		while (*p == ' ' || *p == '\t')
			p++;
		e = p;
		while (*e && *e != ',')
			e++;
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e == p)
			return "empty alias target";
		if ((why = alias_target_parse(p, (size_t)(e - p), bare_ok, t)))
			return why;
		if (alias_to_itself(k, t))
			return "alias points at itself";
		if ((n++ && !stralloc_0(val)) || !stralloc_cats(val, t))
			return "out of memory";
		while (*e == ' ' || *e == '\t')
			e++;
		p = *e == ',' ? e + 1 : e;
		if (*e == ',' && !*p)
			return "empty alias target";
	}
	return n ? 0 : "alias without targets";
}

/* control/routes: "DOMAIN HOST[:PORT] [OPTION...]", the options those of
 * remote/route.h (checked by the same parser sluice-remote uses) */
static const char *
parse_route(const char *line, stralloc *key, stralloc *val)
{
	const char *p = line, *w;
	size_t len;
	struct hostport hp;
	struct route rt;
	char d[ADDR_DOMAIN_MAX + 1];

	if (!word(&p, &w, &len) || len > ADDR_DOMAIN_MAX)
		return "expected DOMAIN HOST[:PORT] [OPTION...]";
	memcpy(d, w, len);
	d[len] = 0;
	lower(d);
	if (strcmp(d, ".") && domain_check(d))
		return domain_check(d);
	if (!stralloc_copys(key, d))
		return "out of memory";
	if (!word(&p, &w, &len))
		return "route needs a HOST[:PORT]";
	if (!hostport_parse(w, len, 25, &hp))
		return "bad HOST[:PORT] (port 1-65535)";
	if (!catb_lower(val, w, len))
		return "out of memory";
	while (word(&p, &w, &len))
		if (!stralloc_0(val) || !stralloc_catb(val, w, len))
			return "out of memory";
	if (!route_parse(val->s, val->len, &rt))
		return "bad route option (tls=may, tls=verify, cafile=/PATH, "
		    "tls=fingerprint:SHA256HEX up to 4 times)";
	return 0;
}

/* control/relay: "CIDR" */
static const char *
parse_relay(const char *line, stralloc *key, stralloc *val)
{
	const char *p = line, *w;
	size_t len;
	struct cidr c;
	char ip[46], bits[21];

	if (!word(&p, &w, &len) || !cidr_parse(w, len, &c))
		return "expected an IP address or CIDR block (host bits zero)";
	if (word(&p, &w, &len))
		return "one CIDR block per line";
	if (c.bits == 0)
		return "a /0 block would make an open relay";
	ip_format(&c.net, ip);
	if (!stralloc_copys(key, ip) || !stralloc_append(key, "/") ||
	    !stralloc_cats(key, ulong_str(bits, c.bits)))
		return "out of memory";
	return 0;
}

/* control/listen: "SERVICE IP PORT", written by init; value IP\0PORT\0 */
static const char *
parse_listen(const char *line, stralloc *key, stralloc *val)
{
	const char *p = line, *w, *why;
	size_t len;
	struct ipaddr ip;
	unsigned long port;
	char name[32];

	if (!word(&p, &w, &len) || len >= sizeof name)
		return "expected SERVICE IP PORT";
	memcpy(name, w, len);
	name[len] = 0;
	if (!listener_find(name))
		return "unknown service";
	if (!stralloc_copys(key, name))
		return "out of memory";
	if (!word(&p, &w, &len) || !ip_parse(w, len, &ip))
		return "bad IP address";
	if (!stralloc_catb(val, w, len) || !stralloc_0(val))
		return "out of memory";
	if (!word(&p, &w, &len))
		return "missing port";
	if ((why = number(w, len, 65535, &port)) || !port)
		return "port must be 1-65535";
	if (!stralloc_catb(val, w, len) || !stralloc_0(val))
		return "out of memory";
	if (word(&p, &w, &len))
		return "trailing words";
	return 0;
}

/* control/remoteauth: "HOST USER PASSWORD" (smarthost credentials) */
static const char *
parse_remoteauth(const char *line, stralloc *key, stralloc *val)
{
	const char *p = line, *w;
	size_t len;
	struct hostport hp;

	if (!word(&p, &w, &len) || !hostport_parse(w, len, 25, &hp) ||
	    memchr(w, ':', len))
		return "expected HOST USER PASSWORD";
	if (!catb_lower(key, w, len))
		return "out of memory";
	if (!word(&p, &w, &len))
		return "missing user";
	if (len > CREDENTIAL_MAX)
		return "user name longer than 255 bytes";
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return "missing password";
	if (strlen(p) > CREDENTIAL_MAX)
		return "password longer than 255 bytes";
	return 0;
}

const struct ftype ft_domains = { "control/domains", "control/domains.cdb",
	0644, 0644, 0, 0, parse_domain };
const struct ftype ft_users = { "users/users", "users/users.cdb",
	0600, 0640, 0, "sluice", parse_user };
const struct ftype ft_aliases = { "users/aliases", "users/aliases.cdb",
	0644, 0644, 0, 0, parse_alias };
const struct ftype ft_routes = { "control/routes", "control/routes.cdb",
	0644, 0644, 0, 0, parse_route };
const struct ftype ft_relay = { "control/relay", 0, 0644, 0, 0, 0,
	parse_relay };
const struct ftype ft_listen = { "control/listen", 0, 0644, 0, 0, 0,
	parse_listen };
const struct ftype ft_remoteauth = { "control/remoteauth", 0, 0600, 0,
	"sluicer", 0, parse_remoteauth };

const struct ftype *const all_tables[] = {
	&ft_domains, &ft_users, &ft_aliases, &ft_routes, &ft_relay, &ft_listen,
	&ft_remoteauth, &ft_senders, &ft_relaydomains, &ft_relayrcpts, 0
};
