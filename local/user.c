/*
 * user.c -- delivery to one virtual user: the per-user file HOME/.sluice
 * if there is one (see dotfile.h), else the user's Maildir HOME/Maildir,
 * or its Maildir++ folder .EXT when the address had an extension and
 * that folder exists.  Maildir lines of the per-user file must stay
 * inside HOME (checked on the real paths, so a symbolic link cannot lead
 * out); programs need the domain's "programs" option.  The whole file is
 * checked before anything is delivered.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "local.h"
#include "address.h"
#include "control.h"
#include "dotfile.h"
#include "logmsg.h"

struct uctx {
	const char *addr;
	const struct resolved *r;
	char home[PATH_MAX];	/* real path of HOME */
	const char *dotname;	/* the per-user file in use, for messages */
	stralloc inbox;		/* HOME/Maildir */
};

static int
dir_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* the folder for the extension, if it is a safe name that exists */
static int
ext_folder(const stralloc *inbox, const char *ext, stralloc *out)
{
	size_t i;

	if (!*ext || ext[0] == '.' || strlen(ext) > 64)
		return 0;
	for (i = 0; ext[i]; i++)
		if (ext[i] == '/' || (unsigned char)ext[i] < 32)
			return 0;
	if (!stralloc_copyb(out, inbox->s, inbox->len - 1) ||
	    !stralloc_cats(out, "/.") || !stralloc_cats(out, ext) ||
	    !stralloc_cats(out, "/new") || !stralloc_0(out))
		return 0;
	if (!dir_exists(out->s))
		return 0;
	out->len -= 5;		/* drop "/new" and the NUL */
	return stralloc_0(out);
}

static void
deliver_inbox(struct ldelivery *d, struct uctx *u)
{
	stralloc folder = { 0 };

	if (maildir_ensure(u->inbox.s) < 0)
		ld_fail(d, JOB_DEFERRED, "4.2.0", "cannot create the mailbox: ",
		    strerror(errno), NULL);
	else if (ext_folder(&u->inbox, u->r->ext, &folder))
		maildir_deliver(d, folder.s, u->inbox.s, u->r->user.quota);
	else
		maildir_deliver(d, u->inbox.s, u->inbox.s, u->r->user.quota);
	stralloc_free(&folder);
}

static int
has_dotdot(const char *p)
{
	while (*p) {
		if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || !p[2]))
			return 1;
		p = strchr(p, '/');
		if (!p)
			break;
		p++;
	}
	return 0;
}

/* real path of a Maildir line inside HOME; 1 ok, 0 outside or bad */
static int
maildir_line_path(struct uctx *u, const char *arg, stralloc *out)
{
	char real[PATH_MAX];
	size_t hl = strlen(u->home);
	char *slash;

	if (has_dotdot(arg))
		return 0;
	if (arg[0] == '/') {
		if (!stralloc_copys(out, arg))
			return 0;
	} else if (!stralloc_copys(out, u->r->user.home) ||
	    !stralloc_cats(out, "/") || !stralloc_cats(out, arg))
		return 0;
	while (out->len > 1 && out->s[out->len - 1] == '/')
		out->len--;
	if (!stralloc_0(out))
		return 0;
	/* the parent must exist and be inside HOME (or HOME itself) */
	slash = strrchr(out->s, '/');
	*slash = 0;
	if (!realpath(out->s[0] ? out->s : "/", real)) {
		*slash = '/';
		return 0;
	}
	*slash = '/';
	if (strncmp(real, u->home, hl) || (real[hl] && real[hl] != '/'))
		return 0;
	if (realpath(out->s, real) &&
	    (strncmp(real, u->home, hl) || real[hl] != '/'))
		return 0;	/* exists, but leads outside (symlink) */
	return 1;
}

static int
same_dir(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static void
deliver_maildir_line(struct ldelivery *d, struct uctx *u, const char *path)
{
	if (maildir_ensure(u->inbox.s) < 0 || maildir_ensure(path) < 0) {
		ld_fail(d, JOB_DEFERRED, "4.2.0", "cannot create the Maildir: ",
		    strerror(errno), NULL);
		return;
	}
	if (same_dir(path, u->inbox.s))
		deliver_inbox(d, u);
	else if (!strncmp(path, u->inbox.s, u->inbox.len - 1) &&
	    path[u->inbox.len - 1] == '/')
		maildir_deliver(d, path, u->inbox.s, u->r->user.quota);
	else
		maildir_deliver(d, path, 0, 0);	/* outside the quota tree */
}

static int
domain_allows_programs(const char *addr)
{
	const char *at = strrchr(addr, '@');
	stralloc opts = { 0 };
	size_t i = 0;
	int ok = 0;

	if (at && domain_local(at + 1, strlen(at + 1), &opts) > 0)
		while (i < opts.len && !ok) {
			size_t n = 0;

			while (i + n < opts.len && opts.s[i + n] != ' ' &&
			    opts.s[i + n] != 0)
				n++;
			ok = n == 8 && !memcmp(opts.s + i, "programs", 8);
			i += n + 1;
		}
	stralloc_free(&opts);
	return ok;
}

/* check one line: NULL if good (out gets the canonical address of a
 * forward, the real path of a Maildir), else the reason */
static const char *
check_line(struct uctx *u, const struct dot_line *l, stralloc *out)
{
	char canon[ADDR_PATH_MAX + 3];
	struct addr a;

	switch (l->kind) {
	case DOT_FORWARD:
		if (addr_parse(l->arg, l->len, ADDR_NO_BRACKETS | ADDR_UTF8, &a)
		    != ADDR_OK)
			return "bad address";
		if (!stralloc_copyb(out, canon, addr_format(&a, canon)) ||
		    !stralloc_0(out))
			return "out of memory";
		return 0;
	case DOT_MAILDIR:
		return maildir_line_path(u, l->arg, out) ? 0 :
		    "Maildir path outside the home directory";
	default:
		return domain_allows_programs(u->addr) ? 0 :
		    "program delivery is not enabled for this domain";
	}
}

/* check every line before doing anything; 1 ok, 0 (failure recorded).
 * A refused program is permanent (D5.7.1): only the administrator can
 * change it; anything else waits for the user to fix the file (Z4.3.5). */
static int
check_lines(struct ldelivery *d, struct uctx *u, struct dotfile *df,
    stralloc *paths)
{
	size_t i;
	char num[21];
	const char *why;

	for (i = 0; i < df->n; i++) {
		why = check_line(u, &df->line[i], &paths[i]);
		if (!why)
			continue;
		ulong_str(num, df->line[i].lineno);
		if (df->line[i].kind == DOT_PROGRAM)
			ld_fail(d, JOB_FAILED, "5.7.1", why, " (", u->dotname, " line ",
			    num, ")", NULL);
		else
			ld_fail(d, JOB_DEFERRED, "4.3.5", "delivery file ", u->dotname,
			    " line ", num, ": ", why, NULL);
		return 0;
	}
	return 1;
}

static void
run_lines(struct ldelivery *d, struct uctx *u, struct dotfile *df,
    stralloc *paths)
{
	size_t i;

	for (i = 0; i < df->n && !ld_stopped(d); i++) {
		struct dot_line *l = &df->line[i];

		if (l->kind == DOT_FORWARD)
			forward_add(d, paths[i].s);	/* canonical form */
		else if (l->kind == DOT_MAILDIR)
			deliver_maildir_line(d, u, paths[i].s);
		else if (!program_deliver(d, l->arg, u->r->user.home, u->addr,
		    u->r->ext))
			break;		/* exit 99: stop here */
	}
}

static void
deliver_dotfile(struct ldelivery *d, struct uctx *u, stralloc *file)
{
	struct dotfile df;
	stralloc paths[DOT_LINES_MAX];
	char num[21];
	size_t i;

	if (!stralloc_readyplus(file, 1)) {
		ld_fail(d, JOB_DEFERRED, "4.3.0", "out of memory", NULL);
		return;
	}
	if (!dotfile_parse(file->s, file->len, &df)) {
		ld_fail(d, JOB_DEFERRED, "4.3.5", "delivery file ", u->dotname, " line ",
		    ulong_str(num, df.errline), ": ", df.why, NULL);
		return;
	}
	if (!df.n) {
		deliver_inbox(d, u);	/* only comments: as if there were none */
		return;
	}
	memset(paths, 0, sizeof paths);
	if (check_lines(d, u, &df, paths))
		run_lines(d, u, &df, paths);
	for (i = 0; i < df.n; i++)
		stralloc_free(&paths[i]);
}

/* u->home = real path of HOME, creating HOME/Maildir if HOME is missing */
static int
home_realpath(struct uctx *u)
{
	if (realpath(u->r->user.home, u->home))
		return 1;
	if (errno != ENOENT || maildir_ensure(u->inbox.s) < 0)
		return 0;
	return realpath(u->r->user.home, u->home) != 0;
}

/* 1 read, 0 none, -1 error, -2 not a regular file (a FIFO would block
 * us, a symbolic link could lead anywhere) */
static int
read_dotfile(const char *path, stralloc *file)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISREG(st.st_mode))
		return -2;
	return file_read_small(path, file, DOT_FILE_MAX);
}

/* HOME/NAME into path; 1 ok */
static int
home_file(const struct uctx *u, const char *name, const char *ext,
    stralloc *path)
{
	size_t i, start;

	if (!stralloc_copys(path, u->r->user.home) ||
	    !stralloc_append(path, "/") || !stralloc_cats(path, name))
		return 0;
	start = path->len;
	if (!stralloc_cats(path, ext) || !stralloc_0(path))
		return 0;
	/* as qmail: the extension in lower case, '.' as ':' (no "..") */
	for (i = start; path->s[i]; i++)
		if (path->s[i] == '.')
			path->s[i] = ':';
		else if (path->s[i] >= 'A' && path->s[i] <= 'Z')
			path->s[i] += 'a' - 'A';
	return 1;
}

/* the per-user file: with an extension HOME/.sluice-EXT, then
 * HOME/.sluice-default, then HOME/.sluice (read_dotfile's result of the
 * first that exists, or 0); u->dotname names it for messages */
static int
find_dotfile(struct uctx *u, stralloc *path, stralloc *file)
{
	static const char *const names[] = { ".sluice-", ".sluice-", ".sluice" };
	const char *ext = u->r->ext;
	int i, rd;

	for (i = *ext && !strchr(ext, '/') ? 0 : 2; i < 3; i++) {
		if (!home_file(u, names[i], i == 0 ? ext : i == 1 ? "default" : "",
		    path)) {
			errno = ENOMEM;
			return -1;
		}
		u->dotname = strrchr(path->s, '/') + 1;
		rd = read_dotfile(path->s, file);
		if (rd != 0)
			return rd;
	}
	return 0;
}

void
deliver_user(struct ldelivery *d, const char *addr, const struct resolved *r)
{
	struct uctx u;
	stralloc path = { 0 }, file = { 0 };
	int rd;

	memset(&u, 0, sizeof u);
	u.addr = addr;
	u.r = r;
	d->qkey = r->key;
	if (r->user.home[0] != '/') {
		ld_fail(d, JOB_DEFERRED, "4.3.5", "the user's home is not an absolute path", NULL);
		return;
	}
	if (!stralloc_copys(&u.inbox, r->user.home) ||
	    !stralloc_cats(&u.inbox, "/Maildir") || !stralloc_0(&u.inbox)) {
		ld_fail(d, JOB_DEFERRED, "4.3.0", "out of memory", NULL);
		goto done;
	}
	rd = find_dotfile(&u, &path, &file);
	if (rd == -2)
		ld_fail(d, JOB_DEFERRED, "4.3.5", "the delivery file ", u.dotname,
		    " is not a regular file", NULL);
	else if (rd < 0)
		ld_fail(d, JOB_DEFERRED, "4.3.0", "cannot read the delivery file ",
		    u.dotname ? u.dotname : ".sluice", ": ", strerror(errno), NULL);
	else if (rd == 0)
		deliver_inbox(d, &u);
	else if (!home_realpath(&u))
		ld_fail(d, JOB_DEFERRED, "4.2.0", "cannot use the home directory: ",
		    strerror(errno), NULL);
	else
		deliver_dotfile(d, &u, &file);
done:
	d->qkey = 0;
	stralloc_free(&u.inbox);
	stralloc_free(&path);
	stralloc_free(&file);
}
