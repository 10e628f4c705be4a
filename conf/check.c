/*
 * check.c -- `sluice-conf check` and `sluice-conf rebuild`.
 *
 * check validates the whole instance read-only: every setting file against
 * the settings table, no unknown files in control/, every text table
 * parses and its cdb is exactly what the text compiles to, users and
 * aliases belong to local domains and mailboxes exist, the certificate
 * and key match (key private), service directories are complete and
 * their tcp.cdb is not older than tcp.rules.  The first problem is
 * reported as one line and exit 1; silence and exit 0 mean all is well.
 *
 * rebuild recompiles every cdb (and each service's tcp.cdb) from its text,
 * for administrators who edit the text files by hand.
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "control.h"
#include "logmsg.h"
#include "settings.h"
#include "userdb.h"
#include "../remote/route.h"

static void
bad(const char *what, const char *why)
{
	usage_fail(what, ": ", why, NULL);
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
		if (!setting_find(n))
			bad(str_join("control/", n), "unknown file (not a "
			    "setting; sluice-conf help settings)");
		if (control_get_str(n, &v) < 0)
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

static void
check_tables(struct table *t)
{
	int i;
	const char *why;

	for (i = 0; all_tables[i]; i++) {
		table_load(&t[i], all_tables[i]);
		if ((why = table_cdb_current(&t[i])))
			bad(all_tables[i]->cdb, why);
	}
}

static int
is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static void
check_users(const struct table *users, const struct table *aliases)
{
	size_t i;
	struct user u;

	for (i = 0; i < users->n; i++) {
		const char *k = users->l[i].key;
		if (!k)
			continue;
		if (!domain_is_local(strchr(k, '@') + 1))
			bad(k, "user in a domain that is not local");
		if (!user_parse(users->l[i].val.s, users->l[i].val.len, &u))
			bad(k, "malformed users.cdb entry");
		if (!is_dir(str_join(u.home, "/Maildir/new")) ||
		    !is_dir(str_join(u.home, "/Maildir/cur")) ||
		    !is_dir(str_join(u.home, "/Maildir/tmp")))
			bad(k, str_join("mailbox missing: ",
			    str_join(u.home, "/Maildir")));
	}
	for (i = 0; i < aliases->n; i++) {
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
		if (errno == ENOENT && strcmp(rel, "tls/key.pem"))
			return;
		bad(rel, "missing");
	}
	if (st.st_mode & 077)
		bad(rel, "readable by others (must be mode 0600)");
	if (conf_multiuid && multi_owner_root && st.st_uid != 0)
		bad(rel, "must belong to root");
}

int
cmd_check(int argc, char **argv)
{
	struct table t[16];
	const char *why;

	if (argc != 1)
		usage_fail("usage: sluice-conf check", NULL);
	check_control();
	check_tables(t);
	check_users(&t[1], &t[2]);
	check_routes(&t[3], &t[6]);
	if ((why = tls_pair_check(ipath("tls/cert.pem"), ipath("tls/key.pem"))))
		usage_fail(why, NULL);
	check_private("tls/key.pem", 1);
	check_private("users/users", 1);
	check_private("control/remoteauth", 0);
	if (!is_dir(ipath("queue")))
		bad(ipath("queue"), "missing");
	if ((why = services_check()))
		usage_fail(why, NULL);
	return 0;
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
