/*
 * owners.c -- the owner part of `sluice-conf check` in a root instance:
 * every file and directory that init and the tables give to a system user
 * must belong to that user by its current uid and gid.  After a restore
 * onto another machine (or a tar/rsync with numeric ids) the numbers on
 * disk, in users/users and in the run scripts' SLUICE_DROP_IDS can name
 * other accounts or none; the servers would then fail, or worse, run as
 * someone else.  Each mismatch is one report line naming the path, what
 * it has and what it should have.
 *
 * Only stat(2) and reads; nothing is changed.  queue/ and mail/ are looked
 * at two levels deep, at most OWNER_SCAN_MAX entries in all.
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "logmsg.h"
#include "settings.h"
#include "userdb.h"

#define OWNER_SCAN_MAX 10000

static void (*rep)(const char *);
static size_t scanned;

static char *
num(unsigned long n)
{
	char b[21];

	return str_join("", ulong_str(b, n));
}

/* path must be owned by uid (and gid unless gid is -1) */
static void
want(const char *path, uid_t uid, gid_t gid, const char *who)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		if (errno != ENOENT)
			rep(str_join(path, ": cannot stat"));
		return;
	}
	if (st.st_uid != uid || (gid != (gid_t)-1 && st.st_gid != gid))
		rep(str_join(str_join(str_join(str_join(str_join(str_join(path,
		    ": owner "), num(st.st_uid)), ":"), num(st.st_gid)),
		    ", expected "), who));
}

/* "NAME (UID:GID)", or "(UID:GID)" for an empty name */
static const char *
ids_text(const char *name, uid_t uid, gid_t gid)
{
	return str_join(str_join(str_join(str_join(str_join(name,
	    *name ? " (" : "("), num(uid)), ":"), num(gid)), ")");
}

static void
want_user(const char *path, const char *user, int check_group)
{
	uid_t u;
	gid_t g;

	sys_user(user, &u, &g);
	want(path, u, check_group ? g : (gid_t)-1, ids_text(user, u, g));
}

/* the queue: everything in it has group sluiceq (the directory is
 * setgid) and belongs to sluiceq or sluices; mismatches are counted and
 * the first one named (a restore changes them all) */
struct qwalk {
	uid_t qu, su;
	gid_t qg;
	unsigned long bad;
	const char *first;
	struct stat fst;
};

static void
queue_tree(struct qwalk *w, const char *path, int depth)
{
	struct stat st;
	DIR *d;
	struct dirent *e;

	if (lstat(path, &st) < 0)
		return;
	if ((st.st_uid != w->qu && st.st_uid != w->su) || st.st_gid != w->qg) {
		if (!w->bad++) {
			w->first = path;
			w->fst = st;
		}
	}
	if (depth == 0 || !S_ISDIR(st.st_mode) || !(d = opendir(path)))
		return;
	while ((e = readdir(d)) && scanned < OWNER_SCAN_MAX) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		scanned++;
		queue_tree(w, str_join(str_join(path, "/"), e->d_name),
		    depth - 1);
	}
	closedir(d);
}

static void
queue_owners(void)
{
	struct qwalk w;
	gid_t sg;

	memset(&w, 0, sizeof w);
	sys_user("sluiceq", &w.qu, &w.qg);
	sys_user("sluices", &w.su, &sg);
	queue_tree(&w, ipath("queue"), 2);
	if (w.bad) {
		const char *m = str_join(str_join(ipath("queue"), ": "),
		    num(w.bad));
		m = str_join(m, " entries not owned by sluiceq or sluices "
		    "with group sluiceq ");
		m = str_join(str_join(m, ids_text("", w.qu, w.qg)), ", e.g. ");
		m = str_join(str_join(m, w.first), " has ");
		m = str_join(str_join(str_join(m, num(w.fst.st_uid)), ":"),
		    num(w.fst.st_gid));
		rep(m);
	}
}

static void
tables_owners(void)
{
	const struct setting *s;
	int i;

	for (i = 0; all_tables[i]; i++) {
		const struct ftype *f = all_tables[i];
		if (f->textowner)
			want_user(ipath(f->text), f->textowner, 0);
		else
			want(ipath(f->text), 0, (gid_t)-1, "root");
		if (f->cdb && f->cdbgroup)
			want(ipath(f->cdb), 0, sys_group(f->cdbgroup),
			    str_join("root:", f->cdbgroup));
	}
	want(ipath("users"), 0, sys_group("sluice"), "root:sluice");
	for (s = settings; s->key; s++)
		if (setting_is_secret(s->key))
			want(ipath2("control", s->key), 0, sys_group("sluice"),
			    "root:sluice");
	want(ipath("tls/key.pem"), 0, (gid_t)-1, "root");
}

/* users/users: the uid and gid each mailbox is delivered as, and its
 * home directory's owner */
static void
users_owners(const struct table *t)
{
	struct user u;
	uid_t vu;
	gid_t vg;
	size_t i;

	sys_user("sluicev", &vu, &vg);
	for (i = 0; t && i < t->n; i++) {
		const struct tline *l = &t->l[i];
		if (!l->key || !user_parse(l->val.s, l->val.len, &u))
			continue;
		if (u.uid != vu || u.gid != vg)
			rep(str_join(str_join(str_join(str_join("users/users: ",
			    l->key), ": delivered as "),
			    ids_text("uid:gid", (uid_t)u.uid, (gid_t)u.gid)),
			    str_join(", but sluicev is now ",
			    ids_text("", vu, vg))));
		want(u.home, vu, (gid_t)-1, ids_text("sluicev", vu, vg));
	}
}

/* the numeric ids the listeners' run scripts drop to */
static void
scripts_ids(const struct table *t)
{
	stralloc run = {0};
	char *want_ids = str_join(str_join("\nSLUICE_DROP_IDS=",
	    drop_ids("sluiced")), ";");
	size_t i;

	for (i = 0; t && i < t->n; i++) {
		char *p;
		if (!t->l[i].key)
			continue;
		p = str_join(ipath2("service", t->l[i].key), "/run");
		file_get(p, &run, 0);
		stralloc_need(stralloc_0(&run));
		if (strstr(run.s, "\nSLUICE_DROP_IDS=") &&
		    !strstr(run.s, want_ids))
			rep(str_join(str_join(p, ": SLUICE_DROP_IDS are not "
			    "sluiced's current ids "), drop_ids("sluiced")));
	}
	stralloc_free(&run);
}

void
check_owners(void (*report)(const char *), const struct table *users,
    const struct table *listen)
{
	size_t i;
	uid_t vu;
	gid_t vg;

	rep = report;
	scanned = 0;
	tables_owners();
	queue_owners();
	want_user(ipath("mail"), "sluicev", 0);
	sys_user("sluicev", &vu, &vg);
	want(ipath("quota"), vu, sys_group("sluice"),
	    str_join(ids_text("sluicev", vu, vg), " group sluice"));
	users_owners(users);
	for (i = 0; listen && i < listen->n; i++)
		if (listen->l[i].key)
			want_user(ipath2("log", listen->l[i].key), "sluicel", 0);
	want_user(ipath2("log", "send"), "sluicel", 0);
	scripts_ids(listen);
}
