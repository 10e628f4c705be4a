/*
 * t_conftables.c -- the line parsers of sluice-conf's tables (conf/tables.c):
 * what each good line compiles to (cdb key and value), and that bad lines
 * are refused with a reason.
 */
#include <string.h>

#include "tap.h"
#include "../../conf/conf.h"

/* parse line with ft; 1 when accepted with exactly this key and value */
static int
gives(const struct ftype *ft, const char *line, const char *key,
    const char *val, size_t vlen)
{
	stralloc k = {0}, v = {0};
	const char *why = ft->parse(line, &k, &v);
	int ok = !why && k.len == strlen(key) && !memcmp(k.s, key, k.len) &&
	    v.len == vlen && (!vlen || !memcmp(v.s, val, vlen));

	if (!ok)
		printf("# %s: %s\n", line, why ? why : "other key or value");
	stralloc_free(&k);
	stralloc_free(&v);
	return ok;
}

static int
refused(const struct ftype *ft, const char *line)
{
	stralloc k = {0}, v = {0};
	const char *why = ft->parse(line, &k, &v);

	stralloc_free(&k);
	stralloc_free(&v);
	return why != 0;
}

#define V(s) s, sizeof s - 1

static void
domains(void)
{
	CHECK(gives(&ft_domains, "example.test", "example.test", V("")), "domain");
	CHECK(gives(&ft_domains, "Ex-1.Example.TEST  ", "ex-1.example.test",
	    V("")), "domain lower-cased, trailing space");
	CHECK(gives(&ft_domains, "a.test programs", "a.test", V("programs")),
	    "domain with programs");
	CHECK(refused(&ft_domains, "a.test frob"), "unknown option");
	CHECK(refused(&ft_domains, "nodot"), "no dot");
	CHECK(refused(&ft_domains, "a..test"), "empty label");
	CHECK(refused(&ft_domains, "-a.test"), "leading hyphen");
	CHECK(refused(&ft_domains, "a_b.test"), "underscore");
	CHECK(refused(&ft_domains, "[127.0.0.1]"), "literal");
}

static void
users(void)
{
	CHECK(gives(&ft_users, "a@b.test:$6$s$h:/r/mail/b.test/a:0:991:992",
	    "a@b.test", V("$6$s$h\0/r/mail/b.test/a\0" "0\0" "991\0" "992")),
	    "user");
	CHECK(gives(&ft_users, "a@b.test:!:/odd:path/x:5:1:2", "a@b.test",
	    V("!\0/odd:path/x\0" "5\0" "1\0" "2")), "colon in home, ! hash");
	CHECK(refused(&ft_users, "A@b.test:h:/x:0:1:2"), "upper case address");
	CHECK(refused(&ft_users, "a@b.test:h:x:0:1:2"), "relative home");
	CHECK(refused(&ft_users, "a@b.test::/x:0:1:2"), "empty hash");
	CHECK(refused(&ft_users, "a@b.test:h h:/x:0:1:2"), "space in hash");
	CHECK(refused(&ft_users, "a@b.test:h:/x:0:1"), "field missing");
	CHECK(refused(&ft_users, "a@b.test:h:/x:q:1:2"), "bad quota");
	CHECK(refused(&ft_users, "a@b.test:h:/x:0:1:99999999999"), "gid too big");
	CHECK(refused(&ft_users, "a/b@b.test:h:/x:0:1:2"), "slash in local");
	CHECK(refused(&ft_users, "a@b.test"), "no fields");
	CHECK(refused(&ft_users, ":::::"), "empty fields");
}

static void
aliases(void)
{
	CHECK(gives(&ft_aliases, "info@b.test: a, x@Remote.TEST", "info@b.test",
	    V("a\0x@remote.test")), "alias with bare and full target");
	CHECK(gives(&ft_aliases, "@B.test: catch", "@b.test", V("catch")),
	    "catch-all");
	CHECK(gives(&ft_aliases, "postmaster: pm@b.test", "postmaster",
	    V("pm@b.test")), "instance postmaster");
	CHECK(refused(&ft_aliases, "postmaster: pm"), "postmaster bare target");
	CHECK(refused(&ft_aliases, "info@b.test:"), "no targets");
	CHECK(refused(&ft_aliases, "info@b.test: a,"), "trailing comma");
	CHECK(refused(&ft_aliases, "info@b.test: a,,b"), "empty target");
	CHECK(refused(&ft_aliases, "info@b.test: a b"), "space in target");
	CHECK(refused(&ft_aliases, "info b.test: a"), "no colon key");
	CHECK(refused(&ft_aliases, "@nodot: a@b.test"), "bad catch-all domain");
	CHECK(refused(&ft_aliases, "info@b.test: x, info"), "alias to itself");
	CHECK(refused(&ft_aliases, "info@b.test: INFO@B.test"),
	    "alias to itself, full address");
	CHECK(gives(&ft_aliases, "info@b.test: info@c.test", "info@b.test",
	    V("info@c.test")), "same local part, other domain");
	CHECK(gives(&ft_aliases, "PostMaster: pm@b.test", "postmaster",
	    V("pm@b.test")), "postmaster in any case");
}

static void
routes(void)
{
	CHECK(gives(&ft_routes, "R.test MX.R.test:2525", "r.test",
	    V("mx.r.test:2525")), "route");
	CHECK(gives(&ft_routes, ". smart.test tls=verify", ".",
	    V("smart.test\0tls=verify")), "smarthost with tls=verify");
	CHECK(gives(&ft_routes, "v6.test [::1]:26", "v6.test", V("[::1]:26")),
	    "IPv6 route");
	CHECK(refused(&ft_routes, "r.test"), "no host");
	CHECK(refused(&ft_routes, "r.test h.test:0"), "port 0");
	CHECK(refused(&ft_routes, "r.test h.test:65536"), "port too big");
	CHECK(refused(&ft_routes, "r.test h.test tls=never"), "unknown option");
	CHECK(refused(&ft_routes, ".. h.test"), "bad domain");
}

static void
relay_listen_auth(void)
{
	CHECK(gives(&ft_relay, "10.1.0.0/16", "10.1.0.0/16", V("")), "cidr");
	CHECK(gives(&ft_relay, "192.0.2.7", "192.0.2.7/32", V("")),
	    "address becomes /32");
	CHECK(gives(&ft_relay, "2001:DB8::/32", "2001:db8::/32", V("")),
	    "IPv6 canonical");
	CHECK(refused(&ft_relay, "10.1.0.1/16"), "host bits set");
	CHECK(refused(&ft_relay, "0.0.0.0/0"), "open relay");
	CHECK(refused(&ft_relay, "::/0"), "open relay, IPv6");
	CHECK(refused(&ft_relay, "10.0.0.0/8 x"), "trailing word");
	CHECK(refused(&ft_relay, "host.test"), "name");
	CHECK(gives(&ft_listen, "smtpd 127.0.0.1 25", "smtpd",
	    V("127.0.0.1\0" "25\0")), "listener");
	CHECK(refused(&ft_listen, "pop2d 127.0.0.1 109"), "unknown service");
	CHECK(gives(&ft_listen, "imapd 127.0.0.1 143", "imapd",
	    V("127.0.0.1\0" "143\0")), "IMAP listener (Dovecot)");
	CHECK(refused(&ft_listen, "smtpd 127.0.0.1 0"), "port 0");
	CHECK(refused(&ft_listen, "smtpd localhost 25"), "bind by name");
	CHECK(gives(&ft_remoteauth, "Smart.test user pass word", "smart.test",
	    V("")), "credentials, space in password");
	CHECK(refused(&ft_remoteauth, "smart.test user"), "no password");
	CHECK(refused(&ft_remoteauth, "smart.test:25 u p"), "port in host");
}

static void
mailboxes(void)
{
	char out[300];
	const char *d = 0;

	CHECK(!mailbox_parse("Alice.B+x@Example.TEST", out, sizeof out, &d) &&
	    !strcmp(out, "alice.b+x@example.test") && !strcmp(d, "example.test"),
	    "mailbox canonical");
	CHECK(mailbox_parse("a@b.test", out, 5, &d) != 0, "output too small");
	CHECK(mailbox_parse("a!b@b.test", out, sizeof out, &d) != 0,
	    "character outside the mailbox set");
	CHECK(mailbox_parse("a@[1.2.3.4]", out, sizeof out, &d) != 0,
	    "address literal");
}

int
main(void)
{
	domains();
	users();
	aliases();
	routes();
	relay_listen_auth();
	mailboxes();
	arena_release();
	return TAP_DONE();
}
