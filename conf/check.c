/*
 * check.c -- `sluice-conf check` and `sluice-conf rebuild`.
 *
 * check validates the whole instance read-only: every setting file against
 * the settings table, no unknown files in control/, every text table
 * parses and its cdb is exactly what the text compiles to, users and
 * aliases belong to local domains and mailboxes exist, the certificate
 * and key match (key private), the certificate names `me` and does not
 * expire within 30 days, service directories are complete and their
 * tcp.cdb is not older than tcp.rules, and, in a root instance, that the
 * owners are the instance's system users by their current ids (a restore
 * onto another machine keeps numbers that now mean someone else).
 * Every problem is reported, one line each; exit 1 after any, silence and
 * exit 0 mean all is well.  A check that cannot go on (a table that does
 * not parse) reports why and the others still run.
 *
 * rebuild recompiles every cdb (and each service's tcp.cdb) from its text,
 * for administrators who edit the text files by hand.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "control.h"
#include "logmsg.h"
#include "settings.h"
#include "userdb.h"
#include "../remote/route.h"

#define CERT_WARN_DAYS 30

static unsigned long problems;

static void
bad(const char *what, const char *why)
{
	log_line(what, ": ", why, NULL);
	problems++;
}

static void
report(const char *why)
{
	log_line(why, NULL);
	problems++;
}

/* run one check; a usage_fail or sys_fail inside it is one problem */
static void
step(void (*f)(void))
{
	jmp_buf jb;

	if (setjmp(jb)) {
		fail_trap(0);
		problems++;
		return;
	}
	fail_trap(&jb);
	f();
	fail_trap(0);
}

static int
table_file(const char *name)
{
	int i;

	for (i = 0; all_tables[i]; i++) {
		const struct ftype *f = all_tables[i];
		if (!strncmp(f->text, "control/", 8) &&
		    (!strcmp(f->text + 8, name) ||
		    (f->cdb && !strcmp(f->cdb + 8, name))))
			return 1;
	}
	return 0;
}

static void
check_control(void)
{
	DIR *d = opendir(ipath("control"));
	struct dirent *e;
	stralloc v = {0};

	if (!d)
		sys_fail("unable to read ", ipath("control"), NULL);
	while ((errno = 0, e = readdir(d))) {
		const char *n = e->d_name;
		if (n[0] == '.' || table_file(n))
			continue;
		if (strstr(n, ".tmp.") || strstr(n, ".sluice-conf-new"))
			bad(str_join("control/", n), "temporary file left "
			    "by an interrupted change (remove it)");
		else if (!setting_find(n))
			bad(str_join("control/", n), "unknown file (not a "
			    "setting; sluice-conf help settings)");
		else if (control_get_str(n, &v) < 0)
			bad(str_join("control/", n), errno == EINVAL ?
			    "bad value (sluice-conf help settings)" :
			    "unreadable");
	}
	if (errno)
		sys_fail("unable to read ", ipath("control"), NULL);
	closedir(d);
	if (control_get_str("me", &v) < 0 || !v.len || !v.s[0])
		bad("control/me", "missing (the host name is required)");
	stralloc_free(&v);
}

/* the tables, each loaded once; loaded[i] 0 when it did not parse */
static struct table tables[16];
static int loaded[16];
static int cur;

static void
load_one(void)
{
	const char *why;

	table_load(&tables[cur], all_tables[cur]);
	loaded[cur] = 1;
	if (all_tables[cur]->cdb && (why = table_cdb_current(&tables[cur])))
		bad(all_tables[cur]->cdb, why);
}

static void
check_tables(void)
{
	for (cur = 0; all_tables[cur] && cur < 16; cur++)
		step(load_one);
}

static int
is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static const struct table *
loaded_table(const struct ftype *ft)
{
	int i;

	for (i = 0; all_tables[i] && i < 16; i++)
		if (all_tables[i] == ft)
			return loaded[i] ? &tables[i] : 0;
	return 0;
}

static void
check_users(void)
{
	const struct table *users = loaded_table(&ft_users);
	const struct table *aliases = loaded_table(&ft_aliases);
	size_t i;
	struct user u;

	if (!loaded_table(&ft_domains))
		return;		/* domain_is_local would fail again */
	for (i = 0; users && i < users->n; i++) {
		const char *k = users->l[i].key;
		if (!k)
			continue;
		if (!domain_is_local(strchr(k, '@') + 1))
			bad(k, "user in a domain that is not local");
		if (!user_parse(users->l[i].val.s, users->l[i].val.len, &u))
			bad(k, "malformed users.cdb entry");
		else if (!is_dir(str_join(u.home, "/Maildir/new")) ||
		    !is_dir(str_join(u.home, "/Maildir/cur")) ||
		    !is_dir(str_join(u.home, "/Maildir/tmp")))
			bad(k, str_join("mailbox missing: ",
			    str_join(u.home, "/Maildir")));
	}
	for (i = 0; aliases && i < aliases->n; i++) {
		const char *k = aliases->l[i].key, *at;
		if (!k || !strcmp(k, "postmaster"))
			continue;
		at = strchr(k, '@');
		if (!domain_is_local(at + 1))
			bad(str_join("alias ", k), "domain is not local");
	}
}

/* credentials are only sent over verified or pinned TLS: a route whose
 * host has some but no such option could never deliver; a cafile= must
 * be readable */
static void
check_routes(const struct table *routes, const struct table *auth)
{
	size_t i;
	struct route rt;
	struct stat st;

	for (i = 0; i < routes->n; i++) {
		const char *k = routes->l[i].key;
		if (!k || !route_parse(routes->l[i].val.s, routes->l[i].val.len, &rt))
			continue;
		if (rt.cafile[0] && (stat(rt.cafile, &st) < 0 ||
		    (conf_multiuid && !(st.st_mode & S_IROTH))))
			bad(str_join("route ", k), str_join(rt.cafile,
			    ": missing, or not readable by sluicer (CA "
			    "certificates are public: mode 0644)"));
		if (!rt.tls_verify && !rt.npin && table_find(auth, rt.hp.host) >= 0)
			bad(str_join("route ", k), "control/remoteauth has a password "
			    "for its host, but it is only sent with tls=verify, "
			    "cafile=/PATH or tls=fingerprint:SHA256HEX on the route");
	}
}

static void
check_private(const char *rel, int multi_owner_root)
{
	struct stat st;

	if (stat(ipath(rel), &st) < 0) {
		if (errno != ENOENT || !strcmp(rel, "tls/key.pem"))
			bad(rel, "missing");
		return;
	}
	if (st.st_mode & 077)
		bad(rel, "readable by others (must be mode 0600)");
	if (conf_multiuid && multi_owner_root && st.st_uid != 0)
		bad(rel, "must belong to root");
}

static void
check_tls(void)
{
	stralloc me = {0};
	const char *why;

	if ((why = tls_pair_check(ipath("tls/cert.pem"), ipath("tls/key.pem"))))
		report(why);
	else if (control_get_str("me", &me) == 1 && me.s[0] &&
	    (why = tls_cert_check(ipath("tls/cert.pem"), me.s,
	    CERT_WARN_DAYS)))
		report(why);
	stralloc_free(&me);
	check_private("tls/key.pem", 1);
	check_private("users/users", 1);
	check_private("control/remoteauth", 0);
}

static void
check_route_auth(void)
{
	const struct table *r = loaded_table(&ft_routes);
	const struct table *a = loaded_table(&ft_remoteauth);

	if (r && a)
		check_routes(r, a);
}

static void
check_services(void)
{
	if (!is_dir(ipath("queue")))
		bad(ipath("queue"), "missing");
	services_check(report, loaded_table(&ft_listen));
}

static void
check_owner_ids(void)
{
	check_owners(report, loaded_table(&ft_users),
	    loaded_table(&ft_listen));
}

int
cmd_check(int argc, char **argv)
{
	if (argc != 1)
		usage_fail("usage: sluice-conf check", NULL);
	step(check_control);
	check_tables();
	step(check_users);
	step(check_route_auth);
	step(check_tls);
	step(check_services);
	if (conf_multiuid)
		step(check_owner_ids);
	return problems ? 1 : 0;
}

int
cmd_rebuild(int argc, char **argv)
{
	struct table t, l;
	const char *why;
	size_t i;
	int k;

	if (argc != 1)
		usage_fail("usage: sluice-conf rebuild", NULL);
	for (k = 0; all_tables[k]; k++)	/* check all, then write */
		table_load(&t, all_tables[k]);
	for (k = 0; all_tables[k]; k++) {
		if (!all_tables[k]->cdb)
			continue;
		table_load(&t, all_tables[k]);
		table_save(&t);
	}
	table_load(&l, &ft_listen);
	for (i = 0; i < l.n; i++)
		if (l.l[i].key && listener_find(l.l[i].key)->prog &&
		    (why = tcprules_compile(ipath2("service",
		    l.l[i].key))))
			usage_fail(ipath2("service", l.l[i].key), ": ", why,
			    NULL);
	return 0;
}
