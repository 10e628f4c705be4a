/*
 * quotawarn.c -- after a delivery into a mailbox with a quota: keep its
 * quota note (lib/quotanote.h) for the SMTP server's RCPT check, and tell
 * the user, once per crossing, that the mailbox is 90 % full.
 *
 * At or above QUOTA_NEAR_PERCENT the note is written (STATE "full" when
 * the delivery was deferred for the quota); the delivery that creates it
 * (the crossing: there was none) puts one warning message into the
 * user's inbox, counted in the quota like any message.  Below, the note
 * is removed, so the next crossing warns again.  Failures here never
 * change the outcome of the delivery: they are logged.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "control.h"
#include "local.h"
#include "logmsg.h"
#include "quotanote.h"
#include "rfcdate.h"

static int
compose(stralloc *m, const char *key, unsigned long used,
    unsigned long quota)
{
	stralloc me = {0};
	char date[RFCDATE_LEN], line[512];
	struct timeval tv;
	unsigned long pct = (unsigned long)((unsigned long long)used * 100 /
	    quota);
	int ok;

	gettimeofday(&tv, 0);
	if ((control_get_str("me", &me) < 0 || me.len <= 1) &&
	    (!stralloc_copys(&me, "localhost") || !stralloc_0(&me)))
		return 0;
	snprintf(line, sizeof line, "Your mailbox is %lu%% full", pct);
	ok = stralloc_copys(m, "Return-Path: <>\nDelivered-To: ") &&
	    stralloc_cats(m, key) &&
	    stralloc_cats(m, "\nFrom: Mail Delivery System <MAILER-DAEMON@") &&
	    stralloc_cats(m, me.s) && stralloc_cats(m, ">\nTo: <") &&
	    stralloc_cats(m, key) && stralloc_cats(m, ">\nSubject: ") &&
	    stralloc_cats(m, line) && stralloc_cats(m, "\nDate: ") &&
	    stralloc_cats(m, rfc_date(date, tv.tv_sec)) &&
	    stralloc_cats(m, "\nMessage-ID: <quota.") &&
	    stralloc_cats(m, ulong_str(line, (unsigned long)tv.tv_sec)) &&
	    stralloc_cats(m, ".") &&
	    stralloc_cats(m, ulong_str(line, (unsigned long)tv.tv_usec)) &&
	    stralloc_cats(m, "@") && stralloc_cats(m, me.s) &&
	    stralloc_cats(m, ">\nAuto-Submitted: auto-generated\n"
	    "MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n");
	snprintf(line, sizeof line, "Your mailbox %.256s uses %lu of its %lu "
	    "bytes (%lu%%).\n\n", key, used, quota, pct);
	ok = ok && stralloc_cats(m, line) && stralloc_cats(m,
	    "When it is full, new mail for you waits on the server and is\n"
	    "returned to its senders after a while.  Please delete messages\n"
	    "you no longer need (or move them out of the mailbox).\n\n"
	    "You get this warning once; another one only after the mailbox\n"
	    "has been below 90% again.\n");
	stralloc_free(&me);
	return ok;
}

static void
warn(const char *inbox, const char *key, unsigned long used,
    unsigned long quota)
{
	stralloc m = {0};
	struct maildir_tx t;

	memset(&t, 0, sizeof t);
	if (!compose(&m, key, used, quota) || maildir_open(&t, inbox) < 0) {
		log_line_sys("warning: cannot write the quota warning for ",
		    key, NULL);
	} else if (maildir_write(&t, m.s, m.len) < 0 ||
	    maildir_commit(&t, 0) < 0) {
		log_line_sys("warning: cannot write the quota warning for ",
		    key, NULL);
		maildir_abort(&t);
	} else {
		quota_add(inbox, t.size);
		log_line("quota warning delivered to ", key, NULL);
	}
	stralloc_free(&t.dir);
	stralloc_free(&t.tmpname);
	stralloc_free(&t.newname);
	stralloc_free(&m);
}

void
quota_note(const char *key, const char *inbox, unsigned long used,
    unsigned long quota, int full)
{
	int r;

	if (!key || !quota)
		return;
	if (!quota_is_near(used, quota)) {
		quotanote_remove(key);
		return;
	}
	r = quotanote_write(key, used, quota, full);
	if (r < 0 && errno != ENOENT)
		log_line_sys("warning: cannot write the quota note of ", key,
		    NULL);
	if (r == 1)
		warn(inbox, key, used, quota);
}
