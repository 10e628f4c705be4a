/*
 * forward.c -- forwarding: remote alias targets and the per-user file's
 * forwards are collected (duplicates dropped) and injected once, after
 * everything else succeeded, through the queue injector with the
 * original envelope sender and a Delivered-To line for our recipient at
 * the top (so a loop comes back to us and is caught).  With an
 * srssecret the envelope sender is rewritten with SRS (lib/srs.h).
 *
 * The injector is $QMAILQUEUE if set (as in qmail; tests use it to
 * capture what is injected), else BIN/sluice-queue next to our own
 * binary.  qmail-queue protocol: the message on its fd 0, the envelope
 * "F<sender>\0T<rcpt>\0...\0" on its fd 1; exit 0 queued, 11..40
 * permanent refusal, anything else temporary.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control.h"
#include "local.h"
#include "logmsg.h"
#include "srs.h"
#include "sysutil.h"
#include "userdb.h"

static int
already_listed(const struct ldelivery *d, const char *addr)
{
	size_t pos = 0;

	while (pos < d->fwd.len) {
		if (!strcmp(d->fwd.s + pos, addr))
			return 1;
		pos += strlen(d->fwd.s + pos) + 1;
	}
	return 0;
}

void
forward_add(struct ldelivery *d, const char *addr)
{
	if (already_listed(d, addr))
		return;
	if (d->nfwd >= FORWARD_MAX) {
		ld_fail(d, 'D', "5.3.4", "too many forwarding addresses", NULL);
		return;
	}
	if (!stralloc_cats(&d->fwd, addr) || !stralloc_0(&d->fwd)) {
		ld_fail(d, 'Z', "4.3.0", "out of memory", NULL);
		return;
	}
	d->nfwd++;
}

/* $QMAILQUEUE, or sluice-queue in the directory of /proc/self/exe */
static int
injector_path(stralloc *out)
{
	const char *q = getenv("QMAILQUEUE");
	char exe[4096];
	ssize_t n;
	char *slash;

	if (q && *q)
		return stralloc_copys(out, q) && stralloc_0(out);
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return 0;
	exe[n] = 0;
	slash = strrchr(exe, '/');
	if (!slash)
		return 0;
	slash[1] = 0;
	return stralloc_copys(out, exe) && stralloc_cats(out, "sluice-queue") &&
	    stralloc_0(out);
}

/*
 * The envelope sender of a forward: with an srssecret, the SRS address of
 * the original sender at our recipient's domain (me when it has none), so
 * SPF passes at the next hop and bounces come back to us (lib/srs.h).
 * Senders in our own domains and the null sender are kept.
 * 1 ok (out NUL-terminated), 0 out of memory or unreadable secret.
 */
/* a sender in one of our own domains needs no rewriting: our SPF record
 * covers it already */
static int
sender_is_ours(const char *sender)
{
	const char *at = strrchr(sender, '@');

	return at && at[1] && domain_local(at + 1, strlen(at + 1), 0) == 1;
}

static int
forward_sender(const struct ldelivery *d, stralloc *out)
{
	stralloc secret = {0}, dom = {0};
	const char *at = strrchr(d->rcpt, '@');
	int r = 1;

	if (control_get_str("srssecret", &secret) < 0)
		return 0;
	if (secret.len > 1 && *d->sender && !sender_is_ours(d->sender)) {
		if (at && at[1])
			r = stralloc_copys(&dom, at + 1) && stralloc_0(&dom);
		else
			r = control_get_str("me", &dom) >= 0;
		if (r)
			r = srs_forward(d->sender, dom.s, secret.s, secret.len - 1,
			    time(0), out);
		if (r == 0)
			log_line("forward of ", d->rcpt, ": sender <", d->sender,
			    "> too long for SRS, forwarded unchanged", NULL);
		r = r >= 0;
	}
	if (r && !out->len)
		r = stralloc_copys(out, d->sender) && stralloc_0(out);
	stralloc_free(&secret);
	stralloc_free(&dom);
	return r;
}

static int
build_envelope(const struct ldelivery *d, stralloc *env)
{
	stralloc sender = {0};
	size_t pos = 0;
	int ok = forward_sender(d, &sender);

	ok = ok && stralloc_copys(env, "F") && stralloc_cats(env, sender.s) &&
	    stralloc_0(env);
	stralloc_free(&sender);
	if (!ok)
		return 0;
	while (pos < d->fwd.len) {
		size_t l = strlen(d->fwd.s + pos);

		if (!stralloc_append(env, "T") ||
		    !stralloc_catb(env, d->fwd.s + pos, l + 1))
			return 0;
		pos += l + 1;
	}
	return stralloc_0(env);
}

static pid_t
start_injector(const char *path, int msgpipe[2], int envpipe[2])
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	sig_default(SIGPIPE);
	close(msgpipe[1]);
	close(envpipe[1]);
	if (fd_move(0, msgpipe[0]) < 0 || fd_move(1, envpipe[0]) < 0)
		_exit(81);
	/* a forward is someone else's mail passing through: never signed */
	if (setenv("SLUICE_DKIM", "no", 1) < 0)
		_exit(81);
	execl(path, path, (char *)0);
	_exit(errno == ENOENT ? 71 : 81);
}

/* feed the injector; returns its exit status, or -1 */
static int
feed(struct ldelivery *d, pid_t pid, int msgfd, int envfd, stralloc *env)
{
	int st, ok;

	ok = write_all(msgfd, d->dtline.s, d->dtline.len) == 0 &&
	    msg_to_fd(d, msgfd) == 0;
	close(msgfd);
	if (ok)
		write_all(envfd, env->s, env->len);
	close(envfd);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(st))
		return -1;
	return ok || WEXITSTATUS(st) ? WEXITSTATUS(st) : -1;
}

static void
report_exit(struct ldelivery *d, int code)
{
	char num[21];

	if (code == 0) {
		ld_done(d, "forward");
		return;
	}
	if (code < 0)
		ld_fail(d, 'Z', "4.3.0", "the queue injector crashed", NULL);
	else if (code >= 11 && code <= 40)
		ld_fail(d, 'D', "5.3.0", "the queue refused the forwarded "
		    "message (exit ", ulong_str(num, (unsigned long)code), ")", NULL);
	else
		ld_fail(d, 'Z', "4.3.0", "cannot queue the forwarded message (exit ",
		    ulong_str(num, (unsigned long)code), ")", NULL);
}

void
forward_flush(struct ldelivery *d)
{
	stralloc path = { 0 }, env = { 0 };
	int msgpipe[2] = { -1, -1 }, envpipe[2] = { -1, -1 };
	pid_t pid;

	if (!d->nfwd)
		return;
	if (!injector_path(&path) || !build_envelope(d, &env)) {
		ld_fail(d, 'Z', "4.3.0", "cannot prepare the forward", NULL);
		goto done;
	}
	if (pipe2(msgpipe, O_CLOEXEC) < 0 || pipe2(envpipe, O_CLOEXEC) < 0) {
		ld_fail(d, 'Z', "4.3.0", "cannot make a pipe", NULL);
		goto done;
	}
	sig_ignore(SIGPIPE);
	pid = start_injector(path.s, msgpipe, envpipe);
	if (pid < 0) {
		ld_fail(d, 'Z', "4.3.0", "cannot fork", NULL);
		goto done;
	}
	close(msgpipe[0]);
	close(envpipe[0]);
	report_exit(d, feed(d, pid, msgpipe[1], envpipe[1], &env));
	msgpipe[0] = msgpipe[1] = envpipe[0] = envpipe[1] = -1;
done:
	if (msgpipe[0] >= 0) {
		close(msgpipe[0]);
		close(msgpipe[1]);
	}
	if (envpipe[0] >= 0) {
		close(envpipe[0]);
		close(envpipe[1]);
	}
	stralloc_free(&path);
	stralloc_free(&env);
}
