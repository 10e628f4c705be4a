/*
 * mailcmds.c -- `sluice-conf domain|user|alias`: local domains, virtual
 * users and aliases (userdb.h formats).
 *
 *   domain add DOMAIN [programs] | del DOMAIN | list
 *   user add ADDRESS [--quota BYTES] [--nologin] | del ADDRESS |
 *        passwd ADDRESS |
 *        quota ADDRESS BYTES | info ADDRESS | list [DOMAIN]
 *        (passwords: one line on stdin; info: infocmds.c)
 *   alias add ADDRESS TARGET... | del ADDRESS [TARGET...] | list [DOMAIN]
 *
 * ADDRESS of an alias may also be "@DOMAIN" (catch-all) or "postmaster"
 * (the instance's postmaster).  A user's mailbox is ROOT/mail/DOMAIN/LOCAL/
 * Maildir, made as sluicev; deleting a user or domain keeps the mail.
 * --nologin stores the hash "!": mail is delivered, logins are refused
 * (until `user passwd`).
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "address.h"
#include "control.h"
#include "logmsg.h"
#include "maildir.h"
#include "userdb.h"

#define PASSWORD_MAX 1024

static void
argc_is(int argc, int lo, int hi, const char *use)
{
	if (argc < lo || argc > hi)
		usage_fail("usage: sluice-conf ", use, NULL);
}

static int
is(const char *a, const char *b)
{
	return !strcmp(a, b);
}

/* does any key of t belong to domain d ("x@d" or "@d")? */
static int
table_has_domain(const struct table *t, const char *d)
{
	size_t i, dl = strlen(d);

	for (i = 0; i < t->n; i++) {
		const char *k = t->l[i].key;
		size_t kl = k ? strlen(k) : 0;
		if (k && kl > dl && k[kl - dl - 1] == '@' &&
		    !strcmp(k + kl - dl, d))
			return 1;
	}
	return 0;
}

static void
mkdir_as_owner(void *path)
{
	if (mkdir(path, 0750) < 0 && errno != EEXIST)
		sys_fail("unable to create ", path, NULL);
}

static int
domain_cmd_add(int argc, char **argv)
{
	struct table t;
	char *line, *d = str_join("", argv[2]);
	const char *why;

	argc_is(argc, 3, 4, "domain add DOMAIN [programs]");
	lower(d);
	if ((why = domain_check(d)))
		usage_fail(argv[2], ": ", why, NULL);
	line = argc == 4 ? str_join(str_join(d, " "), argv[3]) : d;
	table_load(&t, &ft_domains);
	if (table_find(&t, d) >= 0)
		usage_fail("domain ", d, " already exists", NULL);
	table_add(&t, line);
	as_user("sluicev", mkdir_as_owner, ipath2("mail", d));
	table_save(&t);
	return 0;
}

static int
domain_cmd_del(int argc, char **argv)
{
	struct table t, u, a;
	char *d = str_join("", argv[2]);

	argc_is(argc, 3, 3, "domain del DOMAIN");
	lower(d);
	table_load(&t, &ft_domains);
	table_load(&u, &ft_users);
	table_load(&a, &ft_aliases);
	if (table_has_domain(&u, d) || table_has_domain(&a, d))
		usage_fail("domain ", d, " still has users or aliases: "
		    "delete them first", NULL);
	table_del(&t, table_need(&t, d, "domain"));
	table_save(&t);
	return 0;
}

int
cmd_domain(int argc, char **argv)
{
	struct table t;

	if (argc >= 3 && is(argv[1], "add"))
		return domain_cmd_add(argc, argv);
	if (argc >= 3 && is(argv[1], "del"))
		return domain_cmd_del(argc, argv);
	if (argc == 2 && is(argv[1], "list")) {
		table_load(&t, &ft_domains);
		table_list(&t, 0, 0);
		return 0;
	}
	usage_fail("usage: sluice-conf domain add|del|list [DOMAIN]", NULL);
}

/* ---- users ---- */

static void
user_address(const char *arg, char *addr, size_t len, const char **domain)
{
	const char *why = mailbox_parse(arg, addr, len, domain);

	if (why)
		usage_fail(arg, ": ", why, NULL);
	if (!domain_is_local(*domain))
		usage_fail(*domain, " is not a local domain (sluice-conf "
		    "domain add)", NULL);
}

static char *
password_from_stdin(void)
{
	stralloc pw = {0};
	static char hash[USER_HASH_MAX + 1];

	stdin_line(&pw, PASSWORD_MAX);
	if (!pw.len)
		usage_fail("empty password (give it as one line on stdin)",
		    NULL);
	if (memchr(pw.s, 0, pw.len))
		usage_fail("NUL in password", NULL);
	if (!password_hash(pw.s, hash))
		usage_fail("unable to hash the password (crypt)", NULL);
	explicit_bzero(pw.s, pw.len);
	stralloc_free(&pw);
	return hash;
}

static char *
user_line(const char *addr, const char *hash, const char *home,
    const char *quota, uid_t uid, gid_t gid)
{
	char u[21], g[21];
	char *l = str_join(str_join(addr, ":"), hash);

	l = str_join(str_join(str_join(l, ":"), home), ":");
	l = str_join(str_join(l, quota), ":");
	l = str_join(str_join(str_join(l, ulong_str(u, uid)), ":"),
	    ulong_str(g, gid));
	return l;
}

/* a quota in bytes, canonical (no leading zeros) */
static const char *
quota_parse(const char *q)
{
	size_t i;

	for (i = 0; q[i]; i++)
		if (q[i] < '0' || q[i] > '9' || i >= 18)
			usage_fail("quota: expected a number of bytes", NULL);
	if (!i)
		usage_fail("quota: expected a number of bytes", NULL);
	while (q[0] == '0' && q[1])
		q++;
	return q;
}

/* user add's options: --quota BYTES, --nologin (no password: "!") */
static const char *
add_options(int argc, char **argv, int *nologin)
{
	const char *quota = "0";
	int i;

	*nologin = 0;
	for (i = 3; i < argc; i++) {
		if (is(argv[i], "--quota") && i + 1 < argc)
			quota = quota_parse(argv[++i]);
		else if (is(argv[i], "--nologin"))
			*nologin = 1;
		else
			usage_fail("usage: sluice-conf user add ADDRESS "
			    "[--quota BYTES] [--nologin]", NULL);
	}
	return quota;
}

static void
mailbox_make(void *home)
{
	if (mkdir(home, 0700) < 0 && errno != EEXIST)
		sys_fail("unable to create ", home, NULL);
	if (maildir_make(str_join(home, "/Maildir")) < 0)
		sys_fail("unable to create ", home, "/Maildir", NULL);
}

static int
user_cmd_add(int argc, char **argv)
{
	struct table t, a;
	char addr[ADDR_PATH_MAX + 3], *home, *at;
	const char *domain, *quota, *hash;
	uid_t uid;
	gid_t gid;
	int nologin;

	quota = add_options(argc, argv, &nologin);
	user_address(argv[2], addr, sizeof addr, &domain);
	table_load(&t, &ft_users);
	table_load(&a, &ft_aliases);
	if (table_find(&t, addr) >= 0)
		usage_fail("user ", addr, " already exists", NULL);
	if (table_find(&a, addr) >= 0)
		usage_fail(addr, " is an alias (sluice-conf alias del first)",
		    NULL);
	sys_user("sluicev", &uid, &gid);
	at = str_join("", addr);
	at[domain - addr - 1] = 0;
	home = ipath2(str_join("mail/", domain), at);
	hash = nologin ? "!" : password_from_stdin();
	table_add(&t, user_line(addr, hash, home, quota, uid, gid));
	as_user("sluicev", mkdir_as_owner, ipath2("mail", domain));
	as_user("sluicev", mailbox_make, home);
	table_save(&t);
	return 0;
}

long
user_entry(const char *arg, char *addr, struct table *t, struct user *u)
{
	const char *domain, *why;
	long i;

	if ((why = mailbox_parse(arg, addr, ADDR_PATH_MAX + 3, &domain)))
		usage_fail(arg, ": ", why, NULL);
	table_load(t, &ft_users);
	i = table_need(t, addr, "user");
	if (!user_parse(t->l[i].val.s, t->l[i].val.len, u))
		usage_fail("users/users: bad entry for ", addr, NULL);
	return i;
}

/* rewrite the entry of an existing user with a new hash or quota */
static int
user_update(const char *arg, const char *quota, int new_password)
{
	struct table t;
	char addr[ADDR_PATH_MAX + 3], q[21], *line;
	struct user u;
	long i;

	i = user_entry(arg, addr, &t, &u);
	line = user_line(addr, new_password ? password_from_stdin() : u.hash,
	    u.home, quota ? quota : ulong_str(q, u.quota), (uid_t)u.uid,
	    (gid_t)u.gid);
	table_replace(&t, i, line);
	table_save(&t);
	return 0;
}

static int
user_cmd_del(int argc, char **argv)
{
	struct table t;
	char addr[ADDR_PATH_MAX + 3];
	const char *domain, *why;

	argc_is(argc, 3, 3, "user del ADDRESS");
	if ((why = mailbox_parse(argv[2], addr, sizeof addr, &domain)))
		usage_fail(argv[2], ": ", why, NULL);
	table_load(&t, &ft_users);
	table_del(&t, table_need(&t, addr, "user"));
	table_save(&t);
	return 0;
}

static const char *
domain_suffix(int argc, char **argv)
{
	char *d;

	if (argc < 3)
		return 0;
	d = str_join("", argv[2]);
	lower(d);
	if (domain_check(d))
		usage_fail(argv[2], ": ", domain_check(d), NULL);
	return str_join("@", d);
}

int
cmd_user(int argc, char **argv)
{
	struct table t;

	if (argc >= 3 && is(argv[1], "add"))
		return user_cmd_add(argc, argv);
	if (argc >= 3 && is(argv[1], "del"))
		return user_cmd_del(argc, argv);
	if (argc == 3 && is(argv[1], "passwd"))
		return user_update(argv[2], 0, 1);
	if (argc == 3 && is(argv[1], "info"))
		return user_info(argv[2]);
	if (argc == 4 && is(argv[1], "quota"))
		return user_update(argv[2], quota_parse(argv[3]), 0);
	if (argc >= 2 && argc <= 3 && is(argv[1], "list")) {
		const char *suffix = domain_suffix(argc, argv);
		table_load(&t, &ft_users);
		table_list(&t, 0, suffix);
		return 0;
	}
	usage_fail("usage: sluice-conf user add|del|passwd|quota|info|list "
	    "ADDRESS",
	    NULL);
}

/* ---- aliases ---- */

static const char *
alias_key(const char *arg, char *key, size_t len)
{
	const char *why = alias_key_parse(arg, key, len), *d;

	if (why)
		usage_fail(arg, ": ", why, NULL);
	if (!strcmp(key, "postmaster"))
		return 0;
	d = strchr(key, '@') + 1;
	if (!domain_is_local(d))
		usage_fail(d, " is not a local domain (sluice-conf domain add)",
		    NULL);
	return d;
}

/* the field of a \0-separated list at *pos (the list may lack a final
 * \0): copied into out; 0 at the end of the list */
static int
next_target(const stralloc *list, size_t *pos, char *out, size_t outlen)
{
	size_t l;

	if (*pos >= list->len)
		return 0;
	l = strnlen(list->s + *pos, list->len - *pos);
	if (l >= outlen)
		l = outlen - 1;
	memcpy(out, list->s + *pos, l);
	out[l] = 0;
	*pos += l + 1;
	return 1;
}

static int
has_target(const stralloc *list, const char *t)
{
	char s[ADDR_PATH_MAX + 3];
	size_t pos = 0;

	while (next_target(list, &pos, s, sizeof s))
		if (!strcmp(s, t))
			return 1;
	return 0;
}

static char *
alias_line(const char *key, const stralloc *targets)
{
	char *line = str_join(key, ":"), s[ADDR_PATH_MAX + 3];
	size_t pos = 0;
	int first = 1;

	while (next_target(targets, &pos, s, sizeof s)) {
		line = str_join(str_join(line, first ? " " : ", "), s);
		first = 0;
	}
	return line;
}

static void
target_canon(const char *key, const char *arg, char *out)
{
	const char *why = alias_target_parse(arg, strlen(arg),
	    strcmp(key, "postmaster") != 0, out);

	if (why)
		usage_fail(arg, ": ", why, NULL);
}

static int
alias_cmd_add(int argc, char **argv)
{
	struct table t, u;
	char key[ADDR_PATH_MAX + 3], tgt[ADDR_PATH_MAX + 3];
	stralloc targets = {0};
	long i;
	int k, added = 0;

	if (argc < 4)
		usage_fail("usage: sluice-conf alias add ADDRESS TARGET...",
		    NULL);
	alias_key(argv[2], key, sizeof key);
	table_load(&t, &ft_aliases);
	table_load(&u, &ft_users);
	if (table_find(&u, key) >= 0)
		usage_fail(key, " is a user (sluice-conf user del first)",
		    NULL);
	i = table_find(&t, key);
	if (i >= 0)
		stralloc_need(stralloc_copy(&targets, &t.l[i].val));
	if (targets.len)
		stralloc_need(stralloc_0(&targets));
	for (k = 3; k < argc; k++) {
		target_canon(key, argv[k], tgt);
		if (has_target(&targets, tgt))
			continue;
		stralloc_need(stralloc_cats(&targets, tgt));
		stralloc_need(stralloc_0(&targets));
		added++;
	}
	if (!added)
		usage_fail("alias ", key, " already has these targets", NULL);
	if (i >= 0)
		table_replace(&t, i, alias_line(key, &targets));
	else
		table_add(&t, alias_line(key, &targets));
	stralloc_free(&targets);
	table_save(&t);
	return 0;
}

static int
alias_cmd_del(int argc, char **argv)
{
	struct table t;
	char key[ADDR_PATH_MAX + 3], tgt[ADDR_PATH_MAX + 3];
	char cur[ADDR_PATH_MAX + 3];
	stralloc left = {0};
	const stralloc *val;
	size_t j = 0;
	long i;
	int k;

	if (alias_key_parse(argv[2], key, sizeof key))
		usage_fail(argv[2], ": ", alias_key_parse(argv[2], key,
		    sizeof key), NULL);
	table_load(&t, &ft_aliases);
	i = table_need(&t, key, "alias");
	val = &t.l[i].val;
	for (k = 3; k < argc; k++) {
		target_canon(key, argv[k], tgt);
		if (!has_target(val, tgt))
			usage_fail("alias ", key, " has no target ", tgt, NULL);
	}
	while (argc > 3 && next_target(val, &j, cur, sizeof cur)) {
		int drop = 0;
		for (k = 3; k < argc; k++) {	/* keep the others */
			target_canon(key, argv[k], tgt);
			drop |= !strcmp(cur, tgt);
		}
		if (!drop) {
			stralloc_need(stralloc_cats(&left, cur));
			stralloc_need(stralloc_0(&left));
		}
	}
	if (left.len)
		table_replace(&t, i, alias_line(key, &left));
	else
		table_del(&t, i);
	stralloc_free(&left);
	table_save(&t);
	return 0;
}

int
cmd_alias(int argc, char **argv)
{
	struct table t;

	if (argc >= 3 && is(argv[1], "add"))
		return alias_cmd_add(argc, argv);
	if (argc >= 3 && is(argv[1], "del"))
		return alias_cmd_del(argc, argv);
	if (argc >= 2 && argc <= 3 && is(argv[1], "list")) {
		const char *suffix = domain_suffix(argc, argv);
		table_load(&t, &ft_aliases);
		table_list(&t, 1, suffix);
		return 0;
	}
	usage_fail("usage: sluice-conf alias add|del|list ADDRESS [TARGET...]",
	    NULL);
}
