/*
 * sluice-sendmail -- the sendmail command-line interface (mutt, mail(1),
 * cron, PHP's mail()).
 *
 * Runs as the caller.  Reads the message on stdin (CRLF or LF; without
 * -i a line holding only "." ends it; a CR alone becomes a space in the
 * header and a line end in the body; NUL is refused), adds Date:, Message-ID: and From:
 * when missing, removes Bcc:, and hands it to sluice-queue (its sibling
 * binary, setuid sluiceq) with the envelope.  Touches nothing itself.
 *
 *   sluice-sendmail [-t] [-i|-oi] [-f SENDER] [-F NAME] [RCPT...]
 *   sluice-sendmail -bp        list the queue (runs sluice-qread)
 *   sluice-sendmail -q         deliver the queue now (sluice-qctl flush)
 *   sluice-sendmail -bs        SMTP on stdin/stdout (runs sluice-smtpd in
 *                              local mode as the caller; the sender is
 *                              the caller, LOGIN@me)
 *   sluice-sendmail -bi        recompile the tables (sluice-conf rebuild)
 * Linked (symbolic link) by the name mailq it is -bp, by the name
 * newaliases it is -bi.
 * -t takes recipients from To:, Cc: and Bcc: (added to any given as
 * arguments).  Other sendmail
 * options (-oX, -v, -N, -R, -V, -B, -L, -X, -bm) are accepted and ignored.
 * Unqualified addresses get @me.  Exit codes are sendmail's (sysexits):
 * 0 queued, 64 usage, 65 bad address or data, 69 refused, 70 internal,
 * 71 system error, 74 I/O error, 75 temporary failure, 78 configuration.
 */
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include <stralloc.h>

#include "address.h"
#include "control.h"
#include "exitcodes.h"
#include "inject.h"
#include "hdraddr.h"
#include "logmsg.h"
#include "qfile.h"
#include "rfcdate.h"
#include "sysutil.h"

#define HEADER_MAX	(1024 * 1024)	/* header block we parse */

struct opts {
	int tflag, iflag;
	const char *sender;		/* -f, or 0 */
	const char *fullname;		/* -F, or 0 */
};

static stralloc me, envelope, rcpts;	/* rcpts: addresses \0-separated */
static size_t nrcpt;

static void __attribute__((noreturn))
usage(void)
{
	fatal(EX_USAGE, "usage: sluice-sendmail [-t] [-i|-oi] [-f sender] "
	    "[-F name] [--] [recipient ...] | -bp | -bs | -bi | -q", NULL);
}

static void __attribute__((noreturn))
run_sibling(const char *name, const char *arg)
{
	char path[4200], *argv[3];

	if (!strcmp(name, "sluice-smtpd")) {
		/* our caller's SMTP session: nothing of the network setup,
		 * and the queue is always our sibling sluice-queue */
		if (setenv("SMTPD_MODE", "local", 1) ||
		    unsetenv("QMAILQUEUE") || unsetenv("RELAYCLIENT") ||
		    unsetenv("SLUICE_DROP") || unsetenv("TCPREMOTEIP") ||
		    unsetenv("TCPLOCALIP") || unsetenv("TCPLOCALPORT"))
			fatal_nomem(EX_OSERR);
	}
	ssize_t n = readlink("/proc/self/exe", path, 4096);
	char *slash;

	if (n <= 0)
		fatal_sys(EX_OSERR, "fatal: cannot find my own binary", NULL);
	path[n] = 0;
	slash = strrchr(path, '/');
	strcpy(slash ? slash + 1 : path, name);
	argv[0] = path;
	argv[1] = (char *)arg;
	argv[2] = 0;
	execv(path, argv);
	fatal_sys(EX_OSERR, "fatal: cannot run ", path, NULL);
}

/* mailq and newaliases: the names sendmail has always answered to */
static void
called_as(int argc, char **argv)
{
	const char *name = argv[0] ? strrchr(argv[0], '/') : 0;

	name = name ? name + 1 : argv[0] ? argv[0] : "";
	if (!strcmp(name, "mailq")) {
		if (argc > 2 || (argc == 2 && strcmp(argv[1], "-v")))
			fatal(EX_USAGE, "usage: mailq", NULL);
		run_sibling("sluice-qread", 0);
	}
	if (!strcmp(name, "newaliases")) {
		if (argc > 1)
			fatal(EX_USAGE, "usage: newaliases", NULL);
		run_sibling("sluice-conf", "rebuild");
	}
}

/* canonical "local@domain" (or "" for the null sender) into out */
static int
qualify(const char *s, size_t len, int flags, char *out)
{
	struct addr a;
	size_t n;

	if (len == 2 && !memcmp(s, "<>", 2) && (flags & ADDR_NULL_OK)) {
		out[0] = 0;
		return 1;
	}
	if (addr_parse(s, len, ADDR_NO_BRACKETS | ADDR_LOCAL_OK | ADDR_UTF8,
	    &a) != ADDR_OK)
		return 0;
	n = addr_format(&a, out);
	if (!a.has_domain && n + 1 + strlen(me.s) <= ADDR_PATH_MAX) {
		out[n] = '@';
		strcpy(out + n + 1, me.s);
	} else if (!a.has_domain)
		return 0;
	return 1;
}

static int
add_rcpt(void *ctx, const char *s, size_t len)
{
	char a[ADDR_PATH_MAX + 3 + 256];

	if (!qualify(s, len, 0, a)) {
		log_lineb("fatal: bad recipient address: ", s, len, 0);
		exit(EX_DATAERR);
	}
	if (nrcpt >= QF_RCPT_MAX)
		fatal(EX_DATAERR, "fatal: too many recipients", NULL);
	if (!stralloc_cats(&rcpts, a) || !stralloc_0(&rcpts))
		fatal_nomem(EX_OSERR);
	nrcpt++;
	return 1;
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (!strcmp(a, "-t"))
			o->tflag = 1;
		else if (!strcmp(a, "-i") || !strcmp(a, "-oi"))
			o->iflag = 1;
		else if (!strcmp(a, "-bp"))
			run_sibling("sluice-qread", 0);
		else if (!strncmp(a, "-q", 2))
			run_sibling("sluice-qctl", "flush");
		else if (!strcmp(a, "-bs"))
			run_sibling("sluice-smtpd", 0);
		else if (!strcmp(a, "-bi"))
			run_sibling("sluice-conf", "rebuild");
		else if (!strcmp(a, "-bm") || !strncmp(a, "-o", 2) ||
		    !strcmp(a, "-v") || !strcmp(a, "-U"))
			;
		else if (strchr("fFrNRVBLX", a[1]) && a[1]) {
			const char *val = a[2] ? a + 2 : argv[++i];

			if (!val)
				usage();
			if (a[1] == 'f' || a[1] == 'r')
				o->sender = val;
			else if (a[1] == 'F')
				o->fullname = val;
		} else
			usage();
	}
	for (; i < argc; i++)
		add_rcpt(0, argv[i], strlen(argv[i]));
}

static void
sender_address(const struct opts *o, char *out)
{
	struct passwd *pw;

	if (o->sender) {
		if (!qualify(o->sender, strlen(o->sender), ADDR_NULL_OK, out))
			fatal(EX_DATAERR, "fatal: bad sender address: ",
			    o->sender, NULL);
		return;
	}
	pw = getpwuid(getuid());
	if (!pw || !qualify(pw->pw_name, strlen(pw->pw_name), 0, out))
		fatal(EX_DATAERR, "fatal: cannot make a sender address from "
		    "the login name", NULL);
}

struct reader {
	int iflag, cr, inbody, done;
	size_t linestart;
};

/* append one octet of the message (LF line ends); a line holding only
 * "." ends it without -i */
static void
put_octet(stralloc *msg, struct reader *rd, char c)
{
	if (!stralloc_append(msg, &c))
		fatal_nomem(EX_OSERR);
	if (c != '\n')
		return;
	if (!rd->iflag && msg->len - rd->linestart == 2 &&
	    msg->s[rd->linestart] == '.') {
		msg->len = rd->linestart;
		rd->done = 1;
		return;
	}
	if (msg->len - rd->linestart == 1)
		rd->inbody = 1;
	rd->linestart = msg->len;
}

/*
 * Read the whole message into LF line ends.  CR LF becomes LF.  A CR
 * alone would go out as a bare CR, which receivers read in different
 * ways (SMTP smuggling), so it never reaches the queue: in the header
 * it becomes a space (it must not start a new header field: with -t that
 * could add a recipient), in the body a line end (progress output of
 * cron jobs stays readable).  NUL is refused: binary data must be
 * MIME-encoded.
 */
static void
read_message(stralloc *msg, int iflag, unsigned long max)
{
	char buf[65536];
	struct reader rd = { iflag, 0, 0, 0, 0 };

	while (!rd.done) {
		ssize_t n = read(0, buf, sizeof buf), i;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fatal_sys(EX_IOERR, "fatal: cannot read the message", NULL);
		if (n == 0)
			break;
		for (i = 0; i < n && !rd.done; i++) {
			char c = buf[i];

			if (c == 0)
				fatal(EX_DATAERR, "fatal: the message contains a "
				    "NUL octet (binary data must be MIME-encoded)",
				    NULL);
			if (rd.cr && c != '\n')
				put_octet(msg, &rd, rd.inbody ? '\n' : ' ');
			rd.cr = c == '\r';
			if (!rd.cr && !rd.done)
				put_octet(msg, &rd, c);
		}
		if (msg->len > max)
			fatal(EX_DATAERR, "fatal: message too big", NULL);
	}
	if (rd.done)
		return;
	if (rd.cr)
		put_octet(msg, &rd, '\n');
	if (!rd.done && msg->len && msg->s[msg->len - 1] != '\n' &&
	    !stralloc_append(msg, "\n"))
		fatal_nomem(EX_OSERR);
}

/* length of the header fields: up to the empty line, or up to the first
 * line that is not a header field (then the body starts there) */
static size_t
header_len(const stralloc *m)
{
	size_t i = 0;

	while (i < m->len && i < HEADER_MAX) {
		char *nl = memchr(m->s + i, '\n', m->len - i);
		size_t ll = nl ? (size_t)(nl - (m->s + i)) : m->len - i, k;

		if (ll == 0)
			return i;
		if (m->s[i] != ' ' && m->s[i] != '\t') {
			for (k = 0; k < ll && m->s[i + k] != ':' &&
			    m->s[i + k] > 32 && m->s[i + k] < 127; k++)
				;
			if (k == 0 || k == ll || m->s[i + k] != ':')
				return i;
		}
		i += ll + 1;
	}
	return i;
}

/* the end of the field starting at i (after its continuation lines) */
static size_t
field_end(const stralloc *m, size_t i, size_t hlen)
{
	for (;;) {
		char *nl = memchr(m->s + i, '\n', hlen - i);

		if (!nl)
			return hlen;
		i = (size_t)(nl - m->s) + 1;
		if (i >= hlen || (m->s[i] != ' ' && m->s[i] != '\t'))
			return i;
	}
}

static int
is_field(const char *f, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len > n && f[n] == ':' && !strncasecmp(f, name, n);
}

struct seen {
	int date, msgid, from;
};

/* copy the header block to out without Bcc; find addresses for -t */
static void
scan_headers(const stralloc *m, size_t hlen, int tflag, stralloc *out,
    struct seen *seen)
{
	size_t i = 0;

	while (i < hlen) {
		size_t e = field_end(m, i, hlen), len = e - i;
		const char *f = m->s + i;
		int bcc = is_field(f, len, "bcc");

		seen->date |= is_field(f, len, "date");
		seen->msgid |= is_field(f, len, "message-id");
		seen->from |= is_field(f, len, "from");
		if (tflag && (bcc || is_field(f, len, "to") ||
		    is_field(f, len, "cc"))) {
			const char *colon = memchr(f, ':', len);

			if (!hdr_addrs(colon + 1, len - (size_t)(colon + 1 - f),
			    add_rcpt, 0)) {
				log_lineb("fatal: cannot parse the addresses in: ",
				    f, len > 200 ? 200 : len, 0);
				exit(EX_DATAERR);
			}
		}
		if (!bcc && !stralloc_catb(out, f, len))
			fatal_nomem(EX_OSERR);
		i = e;
	}
}

static void
add_missing(stralloc *h, const struct seen *seen, const struct opts *o,
    const char *sender)
{
	char date[RFCDATE_LEN], num[24];
	struct timeval tv;
	int ok = 1;

	gettimeofday(&tv, 0);
	if (!seen->date)
		ok = stralloc_cats(h, "Date: ") &&
		    stralloc_cats(h, rfc_date(date, tv.tv_sec)) &&
		    stralloc_cats(h, "\n");
	if (ok && !seen->msgid)
		ok = stralloc_cats(h, "Message-ID: <") &&
		    stralloc_cats(h, ulong_str(num, (unsigned long)tv.tv_sec)) &&
		    stralloc_cats(h, ".") &&
		    stralloc_cats(h, ulong_str(num, (unsigned long)tv.tv_usec)) &&
		    stralloc_cats(h, ".") &&
		    stralloc_cats(h, ulong_str(num, (unsigned long)getpid())) &&
		    stralloc_cats(h, ".sendmail@") && stralloc_cats(h, me.s) &&
		    stralloc_cats(h, ">\n");
	if (ok && !seen->from) {
		ok = stralloc_cats(h, "From: ");
		if (ok && o->fullname) {
			/* a quoted display name without quotes or controls */
			const char *p;

			ok = stralloc_cats(h, "\"");
			for (p = o->fullname; ok && *p && p - o->fullname < 200; p++)
				if (*p != '"' && *p != '\\' && (unsigned char)*p >= 32)
					ok = stralloc_append(h, p);
			ok = ok && stralloc_cats(h, "\" ");
		}
		ok = ok && stralloc_cats(h, "<") &&
		    stralloc_cats(h, *sender ? sender : "MAILER-DAEMON") &&
		    stralloc_cats(h, ">\n");
	}
	if (!ok)
		fatal_nomem(EX_OSERR);
}

static int
queue_exit_to_sysexit(int code)
{
	switch (code) {
	case QX_OK: return 0;
	case QX_ADDRLONG: case QX_ENVELOPE: return EX_DATAERR;
	case QX_PERM: return EX_UNAVAILABLE;
	case QX_NOMEM: return EX_OSERR;
	case QX_READ: return EX_IOERR;
	case QX_CONFIG: return EX_CONFIG;
	case QX_BUG: return EX_SOFTWARE;
	default: return EX_TEMPFAIL;
	}
}

/* the queue (lib/inject.h): the injection service, else sluice-queue;
 * SLUICE_DKIM=no in our environment asks for no signature */
static int
queue_message(const stralloc *head, const stralloc *msg, size_t body)
{
	static struct inject q;		/* big: not on the stack */
	const char *dkim = getenv("SLUICE_DKIM");
	struct inject_opts o = { 0, 1, 1, 0, 0 };
	struct inject_result r;

	o.sign = !dkim || strcmp(dkim, "no") != 0;
	if (inject_start(&q, &o) < 0)
		fatal_sys(EX_OSERR, "fatal: cannot reach the queue", NULL);
	inject_write(&q, head->s, head->len);
	inject_write(&q, msg->s + body, msg->len - body);
	if (inject_finish(&q, envelope.s, envelope.len, &r) == INJECT_OK)
		return QX_OK;
	if (r.code < 0)
		fatal(EX_TEMPFAIL, "fatal: ", r.text, NULL);
	log_line("fatal: the queue refused the message: ", r.text, NULL);
	return r.code;
}

int
main(int argc, char **argv)
{
	struct opts o = { 0, 0, 0, 0 };
	struct seen seen = { 0, 0, 0 };
	static stralloc msg, head;	/* static: reachable until exit */
	char sender[ADDR_PATH_MAX + 3 + 256];
	unsigned long databytes;
	size_t hlen, i;
	int code;

	log_init("sluice-sendmail");
	called_as(argc, argv);
	if (control_get_str("me", &me) < 0 ||
	    control_get_uint("databytes", &databytes) < 0)
		fatal_sys(EX_CONFIG, "fatal: cannot read the settings", NULL);
	if (me.len <= 1 && (!stralloc_copys(&me, "localhost") ||
	    !stralloc_0(&me)))
		fatal_nomem(EX_OSERR);
	parse_args(argc, argv, &o);
	sender_address(&o, sender);
	read_message(&msg, o.iflag, databytes + QF_SLACK);
	hlen = header_len(&msg);
	scan_headers(&msg, hlen, o.tflag, &head, &seen);
	if (!nrcpt)
		fatal(EX_USAGE, "fatal: no recipients", NULL);
	add_missing(&head, &seen, &o, sender);
	if (!stralloc_cats(&head, "\n"))
		fatal_nomem(EX_OSERR);
	if (hlen < msg.len && msg.s[hlen] == '\n')
		hlen++;		/* our blank line replaces theirs */
	if (!stralloc_copys(&envelope, "F") || !stralloc_cats(&envelope, sender) ||
	    !stralloc_0(&envelope))
		fatal_nomem(EX_OSERR);
	for (i = 0; i < rcpts.len; i += strlen(rcpts.s + i) + 1)
		if (!stralloc_cats(&envelope, "T") ||
		    !stralloc_cats(&envelope, rcpts.s + i) ||
		    !stralloc_0(&envelope))
			fatal_nomem(EX_OSERR);
	if (!stralloc_0(&envelope))
		fatal_nomem(EX_OSERR);
	code = queue_message(&head, &msg, hlen);
	return queue_exit_to_sysexit(code);
}
