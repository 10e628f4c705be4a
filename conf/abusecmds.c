/*
 * abusecmds.c -- `sluice-conf sender|relaydomain|relayrcpt`: who may send
 * as whom, and the domains this host relays for from anyone.
 *
 *   sender add USER ADDRESS|@DOMAIN | del USER ADDRESS|@DOMAIN | list [USER]
 *   relaydomain add DOMAIN [recipients] | del DOMAIN | list
 *   relayrcpt add ADDRESS | del ADDRESS | list [DOMAIN]
 *
 * Files (HACKING.md "File formats"), each compiled to a cdb atomically:
 *   users/senders       "USER GRANT" -> users/senders.cdb, key "USER GRANT"
 *       (GRANT an address or @DOMAIN), empty value.  The SMTP server looks
 *       up "USER SENDER" and "USER @SENDERDOMAIN".
 *   control/relaydomains "DOMAIN [recipients]" -> control/relaydomains.cdb,
 *       key the domain, value "recipients" when only the addresses listed
 *       in relayrcpts are valid there.
 *   control/relayrcpts  "ADDRESS" -> control/relayrcpts.cdb, key the
 *       lower-case address, empty value.
 */
#include <string.h>
#include <buffer.h>

#include "conf.h"
#include "address.h"
#include "logmsg.h"

static int
is(const char *a, const char *b)
{
	return !strcmp(a, b);
}

/* next word of *p (space separated) copied into out (lower case) */
static const char *
next_word(const char **p, char *out, size_t outlen)
{
	const char *s = *p, *w;
	size_t len;

	while (*s == ' ' || *s == '\t')
		s++;
	w = s;
	while (*s && *s != ' ' && *s != '\t')
		s++;
	len = (size_t)(s - w);
	if (!len)
		return "missing word";
	if (len >= outlen)
		return "word too long";
	memcpy(out, w, len);
	out[len] = 0;
	lower(out);
	*p = s;
	return 0;
}

static const char *
trailing(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return *p ? "trailing words" : 0;
}

/* an address, or @DOMAIN */
static const char *
grant_parse(const char *g, char *out, size_t outlen)
{
	const char *why;

	if (g[0] == '@') {
		if ((why = domain_check(g + 1)))
			return why;
		if (strlen(g) >= outlen)
			return "domain too long";
		memcpy(out, g, strlen(g) + 1);
		return 0;
	}
	return mailbox_parse(g, out, outlen, 0);
}

/* users/senders: "USER GRANT" */
static const char *
parse_sender(const char *line, stralloc *key, stralloc *val)
{
	char w1[ADDR_PATH_MAX + 3], w2[ADDR_PATH_MAX + 3];
	char u[ADDR_PATH_MAX + 3], g[ADDR_PATH_MAX + 3];
	const char *p = line, *why;

	if (next_word(&p, w1, sizeof w1) || next_word(&p, w2, sizeof w2))
		return "expected USER ADDRESS|@DOMAIN";
	if ((why = trailing(p)))
		return why;
	if ((why = mailbox_parse(w1, u, sizeof u, 0)))
		return why;
	if ((why = grant_parse(w2, g, sizeof g)))
		return why;
	if (!strcmp(u, g))
		return "a user may always send as itself";
	if (!stralloc_copys(key, u) || !stralloc_append(key, " ") ||
	    !stralloc_cats(key, g))
		return "out of memory";
	return 0;
}

/* control/relaydomains: "DOMAIN [recipients]" */
static const char *
parse_relaydomain(const char *line, stralloc *key, stralloc *val)
{
	char d[ADDR_DOMAIN_MAX + 2], opt[16];
	const char *p = line, *why;

	if (next_word(&p, d, sizeof d))
		return "expected DOMAIN [recipients]";
	if ((why = domain_check(d)))
		return why;
	if (!next_word(&p, opt, sizeof opt)) {
		if (!is(opt, "recipients"))
			return "unknown relay domain option (only "
			    "\"recipients\")";
		if (!stralloc_copys(val, opt))
			return "out of memory";
	}
	if ((why = trailing(p)))
		return why;
	if (!stralloc_copys(key, d))
		return "out of memory";
	return 0;
}

/* control/relayrcpts: "ADDRESS" */
static const char *
parse_relayrcpt(const char *line, stralloc *key, stralloc *val)
{
	char w[ADDR_PATH_MAX + 3], a[ADDR_PATH_MAX + 3];
	const char *p = line, *why;

	if (next_word(&p, w, sizeof w))
		return "expected ADDRESS";
	if ((why = trailing(p)) || (why = mailbox_parse(w, a, sizeof a, 0)))
		return why;
	if (!stralloc_copys(key, a))
		return "out of memory";
	return 0;
}

const struct ftype ft_senders = { "users/senders", "users/senders.cdb",
	0644, 0644, 0, 0, parse_sender };
const struct ftype ft_relaydomains = { "control/relaydomains",
	"control/relaydomains.cdb", 0644, 0644, 0, 0, parse_relaydomain };
const struct ftype ft_relayrcpts = { "control/relayrcpts",
	"control/relayrcpts.cdb", 0644, 0644, 0, 0, parse_relayrcpt };

/* add or del one line of table ft; what names it in errors */
static void
add_del(const struct ftype *ft, const char *op, const char *line,
    const char *what)
{
	struct table t;
	char *key, *canon = str_join("", line);
	long i;

	lower(canon);			/* every key is case-insensitive */
	line = canon;
	key = table_key_of(ft, line);

	table_load(&t, ft);
	i = table_find(&t, key);
	if (is(op, "del"))
		table_del(&t, table_need(&t, key, what));
	else if (i >= 0)
		usage_fail(what, " ", key, " exists", NULL);
	else
		table_add(&t, line);
	table_save(&t);
}

static void
list_all(const struct ftype *ft)
{
	struct table t;

	table_load(&t, ft);
	table_list(&t, 1, 0);
}

int
cmd_sender(int argc, char **argv)
{
	struct table t;
	size_t i, n;
	char u[ADDR_PATH_MAX + 3];
	const char *why;

	if (argc == 4 && (is(argv[1], "add") || is(argv[1], "del"))) {
		arg_word(argv[2]);
		arg_word(argv[3]);
		add_del(&ft_senders, argv[1], str_join(str_join(argv[2], " "),
		    argv[3]), "sender grant");
		return 0;
	}
	if (argc == 2 && is(argv[1], "list")) {
		list_all(&ft_senders);
		return 0;
	}
	if (argc == 3 && is(argv[1], "list")) {
		if ((why = mailbox_parse(argv[2], u, sizeof u, 0)))
			usage_fail(why, NULL);
		table_load(&t, &ft_senders);
		n = strlen(u);
		for (i = 0; i < t.n; i++)
			if (t.l[i].key && !strncmp(t.l[i].key, u, n) &&
			    t.l[i].key[n] == ' ') {
				buffer_puts(buffer_1, t.l[i].key);
				buffer_puts(buffer_1, "\n");
			}
		buffer_flush(buffer_1);
		return 0;
	}
	usage_fail("usage: sluice-conf sender add|del USER ADDRESS|@DOMAIN | "
	    "list [USER]", NULL);
}

int
cmd_relaydomain(int argc, char **argv)
{
	if (argc >= 3 && argc <= 4 && is(argv[1], "add")) {
		arg_word(argv[2]);
		if (argc == 4 && !is(argv[3], "recipients") &&
		    !is(argv[3], "--recipients"))
			usage_fail("relaydomain add DOMAIN [recipients]", NULL);
		if (domain_is_local(argv[2]))
			usage_fail(argv[2], " is a local domain", NULL);
		add_del(&ft_relaydomains, "add", argc == 4 ?
		    str_join(argv[2], " recipients") : argv[2],
		    "relay domain");
		return 0;
	}
	if (argc == 3 && is(argv[1], "del")) {
		arg_word(argv[2]);
		add_del(&ft_relaydomains, "del", argv[2], "relay domain");
		return 0;
	}
	if (argc == 2 && is(argv[1], "list")) {
		list_all(&ft_relaydomains);
		return 0;
	}
	usage_fail("usage: sluice-conf relaydomain add DOMAIN [recipients] | "
	    "del DOMAIN | list", NULL);
}

int
cmd_relayrcpt(int argc, char **argv)
{
	if (argc == 3 && (is(argv[1], "add") || is(argv[1], "del"))) {
		arg_word(argv[2]);
		add_del(&ft_relayrcpts, argv[1], argv[2], "relay recipient");
		return 0;
	}
	if (argc == 2 && is(argv[1], "list")) {
		list_all(&ft_relayrcpts);
		return 0;
	}
	usage_fail("usage: sluice-conf relayrcpt add|del ADDRESS | list", NULL);
}
