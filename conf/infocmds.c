/*
 * infocmds.c -- the read-only questions an administrator asks:
 *
 *   show               every setting whose control file differs from the
 *                      default, "KEY = VALUE" (as postconf -n; a secret's
 *                      value is not shown)
 *   user info ADDRESS  mailbox, login, quota and use, the aliases that
 *                      deliver to it, the forwards of its .sluice files,
 *                      its sender grants (when users/senders exists)
 *   auth test ADDRESS  the password on stdin checked as the servers check
 *                      it: "auth succeeded" exit 0, "auth failed" exit 1
 *
 * Runs as root or the instance owner and changes nothing.  The user's own
 * files (HOME/.sluice*, maildirsize) are read with the effective ids of
 * sluicev, which owns them, so a link planted there cannot make root read
 * another file.  Every file read is bounded.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <buffer.h>

#include "conf.h"
#include "control.h"
#include "logmsg.h"
#include "settings.h"
#include "address.h"
#include "userdb.h"
#include "../local/dotfile.h"
#include "../local/local.h"

#define PASSWORD_MAX 1024
#define DOTFILES_MAX 100	/* .sluice* files listed per user */

static void
out(const char *s)
{
	buffer_puts(buffer_1, s);
}

static void
out_end(void)
{
	if (buffer_flush(buffer_1) < 0)
		sys_fail("unable to write to stdout", NULL);
}

/* ---- show ---- */

int
cmd_show(int argc, char **argv)
{
	const struct setting *s;
	stralloc v = {0};
	struct stat st;
	int bad = 0;

	if (argc != 1)
		usage_fail("usage: sluice-conf show", NULL);
	for (s = settings; s->key; s++) {
		if (lstat(ipath2("control", s->key), &st) < 0) {
			if (errno != ENOENT)
				sys_fail("unable to stat control/", s->key,
				    NULL);
			continue;
		}
		if (control_get_str(s->key, &v) < 0) {
			log_line("control/", s->key, ": bad value (sluice-conf "
			    "help settings)", NULL);
			bad = 1;
			continue;
		}
		if (!strcmp(v.s, s->def) && strcmp(s->key, "me"))
			continue;
		out(s->key);
		out(" = ");
		out(setting_is_secret(s->key) ? "(secret, not shown)" : v.s);
		out("\n");
	}
	stralloc_free(&v);
	out_end();
	return bad;
}

/* ---- auth test ---- */

int
cmd_auth(int argc, char **argv)
{
	char addr[520];
	const char *why, *domain;
	stralloc pw = {0};
	struct user u;
	int r;

	if (argc != 3 || strcmp(argv[1], "test"))
		usage_fail("usage: sluice-conf auth test ADDRESS "
		    "(password on stdin)", NULL);
	if ((why = mailbox_parse(argv[2], addr, sizeof addr, &domain)))
		usage_fail(argv[2], ": ", why, NULL);
	stdin_line(&pw, PASSWORD_MAX);
	r = user_get(addr, strlen(addr), &u);
	if (r < 0)
		sys_fail("unable to read users/users.cdb", NULL);
	why = r == 0 ? "unknown user" : u.hash[0] == '!' ? "login disabled" :
	    password_check(u.hash, pw.s) ? 0 : "wrong password";
	explicit_bzero(pw.s, pw.len);
	stralloc_free(&pw);
	explicit_bzero(&u, sizeof u);
	if (why) {
		log_line(addr, ": ", why, NULL);
		out("auth failed\n");
		out_end();
		return 1;
	}
	out("auth succeeded\n");
	out_end();
	return 0;
}

/* ---- user info ---- */

/* 1 if the alias target t (of an alias in domain adom) is addr */
static int
target_is(const char *t, size_t tl, const char *adom, const char *addr)
{
	const char *at = strchr(addr, '@');
	size_t ll = (size_t)(at - addr);

	if (memchr(t, '@', tl))
		return tl == strlen(addr) && !strncasecmp(t, addr, tl);
	return adom && tl == ll && !strncasecmp(t, addr, ll) &&
	    !strcmp(adom, at + 1);
}

static void
info_aliases(const char *addr)
{
	struct table t;
	size_t i, n = 0;

	table_load(&t, &ft_aliases);
	out("aliases:");
	for (i = 0; i < t.n; i++) {
		const char *k = t.l[i].key, *adom;
		const stralloc *v = &t.l[i].val;
		size_t pos = 0;

		if (!k)
			continue;
		adom = strchr(k, '@');
		adom = adom ? adom + 1 : 0;
		while (pos < v->len) {
			size_t tl = strnlen(v->s + pos, v->len - pos);
			if (tl && target_is(v->s + pos, tl, adom, addr)) {
				out(n++ ? ", " : " ");
				out(k);
				break;
			}
			pos += tl + 1;
		}
	}
	out(n ? "\n" : " none\n");
}

/* what the user's own files say, read as sluicev */
struct uinfo {
	const char *home;
	const char *maildir;
	int qstate;		/* quota_usage: 1, 0, or -1 */
	unsigned long qfile, bytes, count;
	stralloc dot;		/* "NAME\0LINE\0" pairs: forwards found */
	stralloc errs;		/* "NAME: reason\0" */
	size_t ndot;
};

static void
dot_note(stralloc *sa, const char *a, const char *b)
{
	stralloc_need(stralloc_cats(sa, a));
	if (b)
		stralloc_need(stralloc_cats(sa, b));
	stralloc_need(stralloc_0(sa));
}

/* the forwards of one .sluice file (opened without following links) */
static void
read_dotfile(struct uinfo *ui, const char *name)
{
	char *path = str_join(str_join(ui->home, "/"), name);
	static char buf[DOT_FILE_MAX + 1];
	struct dotfile d;
	struct stat st;
	ssize_t n = 0, r;
	size_t i;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		dot_note(&ui->errs, name, ": not a regular file");
		if (fd >= 0)
			close(fd);
		return;
	}
	while (n < DOT_FILE_MAX &&
	    (r = read(fd, buf + n, DOT_FILE_MAX - (size_t)n)) > 0)
		n += r;
	close(fd);
	if (!dotfile_parse(buf, (size_t)n, &d)) {
		dot_note(&ui->errs, name, str_join(": ", d.why));
		return;
	}
	for (i = 0; i < d.n; i++)
		if (d.line[i].kind == DOT_FORWARD) {
			dot_note(&ui->dot, name, 0);
			dot_note(&ui->dot, d.line[i].arg, 0);
		}
}

static void
read_user_files(void *arg)
{
	struct uinfo *ui = arg;
	DIR *dp = opendir(ui->home);
	struct dirent *de;

	ui->qstate = quota_usage(ui->maildir, &ui->qfile, &ui->bytes,
	    &ui->count);
	if (!dp)
		return;
	while ((de = readdir(dp)) && ui->ndot < DOTFILES_MAX)
		if (!strncmp(de->d_name, ".sluice", 7) &&
		    (!de->d_name[7] || de->d_name[7] == '-')) {
			ui->ndot++;
			read_dotfile(ui, str_join("", de->d_name));
		}
	closedir(dp);
}

static void
info_files(struct uinfo *ui, unsigned long quota)
{
	char n1[21], n2[21];
	size_t pos;

	out("quota: ");
	out(quota ? ulong_str(n1, quota) : "none");
	out(quota ? " bytes\n" : "\n");
	out("used: ");
	if (ui->qstate < 0) {
		out("unknown (cannot read the Maildir)\n");
	} else {
		out(ulong_str(n1, ui->bytes));
		out(" bytes in ");
		out(ulong_str(n2, ui->count));
		out(" messages");
		if (quota) {
			out(" (");
			out(ulong_str(n1, ui->bytes >= quota ? 100 :
			    ui->bytes / (quota / 100 ? quota / 100 : 1)));
			out("%)");
		}
		out(ui->qstate ? " (maildirsize)\n" : " (counted)\n");
	}
	out("forwards:");
	for (pos = 0; pos < ui->dot.len; ) {
		const char *name = ui->dot.s + pos;
		const char *t = name + strlen(name) + 1;
		out(pos ? ", " : " ");
		out(t);
		out(" (");
		out(name);
		out(")");
		pos = (size_t)(t + strlen(t) + 1 - ui->dot.s);
	}
	out(ui->dot.len ? "\n" : " none\n");
	for (pos = 0; pos < ui->errs.len; pos += strlen(ui->errs.s + pos) + 1) {
		out("bad file: ");
		out(ui->errs.s + pos);
		out("\n");
	}
}

/* sender grants: users/senders ("USER ADDRESS|@DOMAIN" lines), when the
 * instance has that table */
static void
info_senders(const char *addr)
{
	stralloc text = {0};
	size_t pos = 0, al = strlen(addr), n = 0;
	struct stat st;

	if (stat(ipath("users/senders"), &st) < 0)
		return;
	file_get(ipath("users/senders"), &text, 0);
	out("senders:");
	while (pos < text.len) {
		char *line = text.s + pos, *nl = memchr(line, '\n',
		    text.len - pos);
		size_t ll = nl ? (size_t)(nl - line) : text.len - pos;

		pos += ll + 1;
		if (ll > al + 1 && !strncasecmp(line, addr, al) &&
		    (line[al] == ' ' || line[al] == '\t')) {
			char *g = line + al;
			line[ll] = 0;
			while (*g == ' ' || *g == '\t')
				g++;
			out(n++ ? ", " : " ");
			out(g);
		}
	}
	out(n ? "\n" : " none\n");
	stralloc_free(&text);
}

int
user_info(const char *arg)
{
	char addr[ADDR_PATH_MAX + 3];
	struct table t;
	struct user u;
	struct uinfo ui;

	(void)user_entry(arg, addr, &t, &u);
	memset(&ui, 0, sizeof ui);
	ui.home = u.home;
	ui.maildir = str_join(u.home, "/Maildir");
	out("user: ");
	out(addr);
	out("\nmailbox: ");
	out(ui.maildir);
	out("\nlogin: ");
	out(u.hash[0] == '!' ? "disabled (no password)\n" : "enabled\n");
	as_user("sluicev", read_user_files, &ui);
	info_files(&ui, u.quota);
	stralloc_free(&ui.dot);
	stralloc_free(&ui.errs);
	info_aliases(addr);
	info_senders(addr);
	explicit_bzero(&u, sizeof u);
	out_end();
	return 0;
}
