/*
 * mdeliver.c -- one message into one Maildir: quota check, then
 * Return-Path and Delivered-To at the top followed by the message,
 * written with the Maildir discipline of lib/maildir.h (tmp, fsync,
 * link into new/).  Any error removes the tmp file and is a temporary
 * failure: nothing half-written is ever visible in new/.
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "local.h"
#include "control.h"
#include "logmsg.h"
#include "maildir.h"

static int
mkdir_parents(char *path)
{
	char *p;

	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return 0;
}

int
maildir_ensure(const char *maildir)
{
	stralloc p = { 0 };
	int r = -1;
	struct stat st;

	/* the usual case: one stat.  new/ is made after tmp/, so when it
	 * exists both do (a concurrent maildir_make may still be running) */
	if (stralloc_copys(&p, maildir) && stralloc_cats(&p, "/new") &&
	    stralloc_0(&p) && stat(p.s, &st) == 0 && S_ISDIR(st.st_mode)) {
		stralloc_free(&p);
		return 0;
	}
	if (stat(maildir, &st) == 0 && S_ISDIR(st.st_mode)) {
		stralloc_free(&p);
		return maildir_make(maildir);	/* fills in tmp/new/cur */
	}
	if (stralloc_copys(&p, maildir) && stralloc_0(&p) &&
	    mkdir_parents(p.s) == 0)
		r = maildir_make(maildir);
	stralloc_free(&p);
	return r;
}

static void
fail_errno(struct ldelivery *d, const char *what, int err)
{
	const char *dsn = "4.3.0";

	if (err == ENOSPC)
		dsn = "4.3.1";		/* mail system full */
	else if (err == EDQUOT)
		dsn = "4.2.2";		/* mailbox full (file system quota) */
	ld_fail(d, JOB_DEFERRED, dsn, what, ": ", strerror(err), NULL);
}

static int
to_maildir(void *arg, const char *buf, size_t len)
{
	return maildir_write(arg, buf, len);
}

/* 1 if new/ already holds this job's copy (KEY.HOST,S=...): a retry of
 * a job that counted it against the quota the first time.  Only looked
 * for when over quota, the one case where it matters before writing. */
static int
key_in_new(const char *maildir, const char *key)
{
	stralloc p = { 0 };
	DIR *dp;
	struct dirent *de;
	size_t kl = strlen(key);
	int found = 0;

	if (!stralloc_copys(&p, maildir) || !stralloc_cats(&p, "/new") ||
	    !stralloc_0(&p) || !(dp = opendir(p.s))) {
		stralloc_free(&p);
		return 0;
	}
	while (!found && (de = readdir(dp)))
		found = !strncmp(de->d_name, key, kl) && de->d_name[kl] == '.';
	closedir(dp);
	stralloc_free(&p);
	return found;
}

/* over quota: temporary until the message has waited quotadefer seconds */
static void
over_quota(struct ldelivery *d, unsigned long quota, unsigned long size)
{
	unsigned long defer, now = (unsigned long)time(0);
	char q[21];

	if (control_get_uint("quotadefer", &defer) < 0) {
		ld_fail(d, JOB_DEFERRED, "4.3.5", "bad setting quotadefer", NULL);
		return;
	}
	ulong_str(q, quota);
	if (size > quota)
		ld_fail(d, JOB_FAILED, "5.2.3", "message larger than the mailbox quota (",
		    q, " bytes)", NULL);
	else if (now >= d->job->arrival && now - d->job->arrival >= defer)
		ld_fail(d, JOB_FAILED, "5.2.2", "mailbox full: over its quota of ",
		    q, " bytes for too long", NULL);
	else
		ld_fail(d, JOB_DEFERRED, "4.2.2", "mailbox full: over its quota of ",
		    q, " bytes", NULL);
}

static int
write_message(struct ldelivery *d, struct maildir_tx *t)
{
	if (maildir_write(t, d->rpline.s, d->rpline.len) < 0 ||
	    maildir_write(t, d->dtline.s, d->dtline.len) < 0)
		return -1;
	return msg_each(d, to_maildir, t);
}

/* 1 if this run already delivered into maildir (an alias naming a user
 * twice, or two aliases leading to one mailbox): one copy is enough */
static int
already_delivered(struct ldelivery *d, const char *maildir)
{
	size_t pos = 0;

	while (pos < d->seen.len) {
		if (!strcmp(d->seen.s + pos, maildir))
			return 1;
		pos += strlen(d->seen.s + pos) + 1;
	}
	if (!stralloc_cats(&d->seen, maildir) || !stralloc_0(&d->seen))
		d->seen.len = pos;	/* no memory: at worst a duplicate */
	return 0;
}

void
maildir_deliver(struct ldelivery *d, const char *maildir,
    const char *quotadir, unsigned long quota)
{
	struct maildir_tx t;
	unsigned long size = d->rpline.len + d->dtline.len + d->job->length;
	unsigned long used = 0;
	int r;

	if (already_delivered(d, maildir))
		return;
	if (quota) {
		r = quota_over(quotadir, quota, size, &used);
		if (r < 0) {
			fail_errno(d, "cannot check the quota", errno);
			return;
		}
		if (r > 0 && d->mdkey[0] && key_in_new(maildir, d->mdkey)) {
			ld_done(d, "mailbox (already delivered before)");
			return;
		}
		if (r > 0) {
			over_quota(d, quota, size);
			quota_note(d->qkey, quotadir, used, quota, 1);
			return;
		}
	}
	memset(&t, 0, sizeof t);
	r = d->mdkey[0] ? maildir_open_keyed(&t, maildir, d->mdkey) :
	    maildir_open(&t, maildir);
	if (r < 0)
		fail_errno(d, "cannot create a file in the Maildir", errno);
	else if (write_message(d, &t) < 0 || (r = maildir_commit(&t, 0)) < 0) {
		int err = errno;

		maildir_abort(&t);
		fail_errno(d, "cannot write the message", err);
	} else if (r == 1)
		ld_done(d, "mailbox (already delivered before)");
	else {
		if (quota) {
			quota_add(quotadir, t.size);
			quota_note(d->qkey, quotadir, used + t.size, quota, 0);
		}
		ld_done(d, "mailbox");
	}
	stralloc_free(&t.dir);
	stralloc_free(&t.tmpname);
	stralloc_free(&t.newname);
}
