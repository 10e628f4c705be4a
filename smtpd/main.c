/*
 * main.c -- sluice-smtpd: an ESMTP server for one connection on fd 0/1
 * (UCSPI: started per connection by tcpserver, or by systemd with
 * Accept=yes), or, as `sluice-smtpd --pool [IP PORT]`, a master with a
 * pool of long-lived workers that each serve connections in turn
 * (pool.c).  Hands each accepted message to BIN/sluice-queue, or to the
 * program named by $QMAILQUEUE, with the qmail-queue protocol.
 *
 * Environment: SLUICE_ROOT (the instance), SMTPD_MODE = mx (port 25,
 * default), submission (587: AUTH required, STARTTLS before AUTH), smtps
 * (465: TLS from the first byte) or local (`sendmail -bs`: run by a local
 * user as that user on stdin/stdout; the sender is that user, no TLS); TCPREMOTEIP, TCPLOCALIP, TCPLOCALPORT
 * (from getpeername/getsockname when absent); RELAYCLIENT; QMAILQUEUE;
 * SLUICE_DROP (user to become after loading the TLS key); SLUICE_TCPRULES
 * (without tcpserver: a tcprules cdb followed for the client, tcpenv.h).
 *
 * Privileges: started as root only to read ROOT/tls/key.pem, then it
 * becomes SLUICE_DROP (sluiced) before reading a byte from the network
 * (a pool master stays root, binds and forks but never reads the
 * network; each worker drops before its first accept);
 * it refuses to talk SMTP as root (except in local mode, where its peer
 * is its own caller).  As sluiced it reads control/,
 * users/users.cdb and aliases (group sluice), and writes nothing but its
 * log line on fd 2; the queue program does the writing.
 *
 * Exit: 0 after a session (whatever the client did); 111 when the
 * configuration cannot be read (the client gets 421 first; a pool worker
 * exits then too, and the master forks another).
 *
 * Per session (smtpd_serve .. smtpd_session_end): everything a session
 * learns lives in `sess`, in limits.c's counter-service connection and in
 * message.c's transaction; smtpd_session_end closes and zeroes all of it,
 * so that a pool worker's next session starts from nothing.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "abuse.h"
#include "control.h"
#include "exitcodes.h"
#include "logmsg.h"
#include "netaddr.h"
#include "pool.h"
#include "smtpd.h"
#include "sysutil.h"
#include "tcpenv.h"
#include "tlsload.h"
#include "tlsw.h"

static struct smtpd sess;
static char queueprog[4096];
static int tls_state = -2;	/* tlsload_prepare's answer; -2: not asked */
static const char *tls_err;

/* refuse the connection politely: 421 on the plain socket */
static void __attribute__((noreturn))
refuse(const char *why)
{
	static const char msg[] = "421 4.3.0 Service temporarily unavailable\r\n";

	log_line("refusing connection: ", why, NULL);
	if (write(1, msg, sizeof msg - 1) < 0)
		_exit(EX_SL_TEMP);
	_exit(EX_SL_TEMP);
}

static void
sockaddr_text(struct sockaddr_storage *ss, char *ip, size_t iplen,
    char *port, size_t portlen)
{
	char n[21];
	unsigned int p = 0;

	if (ss->ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &in->sin_addr, ip, (socklen_t)iplen);
		p = ntohs(in->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
			inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], ip,
			    (socklen_t)iplen);
		else
			inet_ntop(AF_INET6, &in6->sin6_addr, ip, (socklen_t)iplen);
		p = ntohs(in6->sin6_port);
	}
	if (port && p) {
		ulong_str(n, p);
		if (strlen(n) < portlen)
			strcpy(port, n);
	}
}

static void
env_copy(char *out, size_t outlen, const char *name)
{
	const char *v = getenv(name);

	if (v && strlen(v) < outlen)
		strcpy(out, v);
}

/* who we talk to: tcpserver's variables, else the socket itself */
static void
peer_setup(struct smtpd *s)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	strcpy(s->ip, "unknown");
	strcpy(s->localip, "unknown");
	strcpy(s->localport, "0");
	sl = sizeof ss;
	memset(&ss, 0, sizeof ss);
	if (!getenv("TCPREMOTEIP") && getpeername(0, (struct sockaddr *)&ss, &sl) == 0)
		sockaddr_text(&ss, s->ip, sizeof s->ip, 0, 0);
	sl = sizeof ss;
	memset(&ss, 0, sizeof ss);
	if (!getenv("TCPLOCALIP") && getsockname(0, (struct sockaddr *)&ss, &sl) == 0)
		sockaddr_text(&ss, s->localip, sizeof s->localip, s->localport,
		    sizeof s->localport);
	env_copy(s->ip, sizeof s->ip, "TCPREMOTEIP");
	env_copy(s->localip, sizeof s->localip, "TCPLOCALIP");
	env_copy(s->localport, sizeof s->localport, "TCPLOCALPORT");
}

static void
mode_setup(struct smtpd *s)
{
	const char *m = getenv("SMTPD_MODE");

	if (!m || !*m || !strcmp(m, "mx"))
		s->mode = MODE_MX;
	else if (!strcmp(m, "submission"))
		s->mode = MODE_SUBMISSION;
	else if (!strcmp(m, "smtps"))
		s->mode = MODE_SMTPS;
	else if (!strcmp(m, "local"))
		s->mode = MODE_LOCAL;
	else
		refuse("SMTPD_MODE must be mx, submission, smtps or local");
}

/* BIN/sluice-queue, BIN being where this program lives */
static void
queue_setup(struct smtpd *s)
{
	const char *q = getenv("QMAILQUEUE");
	ssize_t n;
	char *slash;

	if (q && *q) {
		s->queueprog = q;
		return;
	}
	n = readlink("/proc/self/exe", queueprog, sizeof queueprog - 32);
	if (n <= 0)
		refuse("cannot find my own directory (/proc/self/exe)");
	queueprog[n] = 0;
	slash = strrchr(queueprog, '/');
	if (!slash)
		refuse("cannot find my own directory");
	strcpy(slash + 1, "sluice-queue");
	s->queueprog = queueprog;
}

/* the certificate is optional on ports 25 and 587 (no STARTTLS, and so
 * no AUTH, without it), required on 465.  Read while root; the context
 * itself is built when a client asks for TLS (tlsload.h), or at once by
 * the pool master, whose workers then share it. */
void
smtpd_tls_load(int build)
{
	const char *err;

	if (tls_state == -2)
		tls_state = tlsload_prepare(&tls_err);
	if (build && tls_state == 1 && !tlsload_ctx(&err))
		log_line("TLS disabled: ", err, NULL);
}

int
smtpd_refuses_all(void)
{
	const char *m = getenv("SMTPD_MODE");

	return m && !strcmp(m, "smtps") && tls_state != 1;
}

static void
tls_setup(struct smtpd *s)
{
	s->tls_offer = tls_state == 1;
	if (tls_state < 0) {
		if (s->mode == MODE_SMTPS)
			refuse(tls_err);
		log_line("TLS disabled: ", tls_err, NULL);
	} else if (tls_state == 0 && s->mode == MODE_SMTPS)
		refuse("no TLS certificate");
}

static void
limit(const char *key, unsigned long *v)
{
	if (control_get_uint(key, v) < 0) {
		log_line_sys("cannot read setting ", key, NULL);
		refuse("configuration error");
	}
}

static void
config_setup(struct smtpd *s)
{
	stralloc me = {0}, fail = {0};

	limit("databytes", &s->lim.databytes);
	limit("maxrcpt", &s->lim.maxrcpt);
	limit("timeoutsmtpd", &s->lim.timeout);
	limit("maxbadcommands", &s->lim.maxbad);
	limit("maxauthfailures", &s->lim.maxauthfail);
	limit("authfaildelay", &s->lim.authdelay);
	limit("receivedauth", &s->lim.receivedauth);
	limit("smtpgreetdelay", &s->lim.greetdelay);
	limit("maxhops", &s->lim.maxhops);
	limit("ratelimitauth", &s->lim.ratelimitauth);
	limit("ratelimitip", &s->lim.ratelimitip);
	limit("maxconnip", &s->lim.maxconnip);
	limit("maxauthfailip", &s->lim.maxauthfailip);
	limit("smtpgreetpass", &s->lim.greetpass);
	limit("timeoutmilter", &s->lim.miltertimeout);
	if (control_get_str("milters", &s->milters) < 0 ||
	    control_get_str("milterfail", &fail) < 0) {
		log_line_sys("cannot read the milter settings", NULL);
		refuse("configuration error");
	}
	s->milterfail_accept = fail.len > 1 && !strcmp(fail.s, "accept");
	stralloc_free(&fail);
	if (control_get_str("me", &me) < 0 ||
	    control_get_str("recipientdelimiter", &s->delims) < 0 ||
	    control_get_str("dnsbl", &s->dnsbl) < 0 ||
	    control_read_lines("relay", &s->relaylist) < 0) {
		log_line_sys("cannot read the configuration", NULL);
		refuse("configuration error");
	}
	if (me.len > 1 && me.len <= sizeof s->me)	/* len counts the NUL */
		strcpy(s->me, me.s);
	else if (gethostname(s->me, sizeof s->me - 1) < 0 || !*s->me)
		strcpy(s->me, "localhost");
	stralloc_free(&me);
	s->relayclient = getenv("RELAYCLIENT") != 0 ||
	    cidr_list_match(s->relaylist.s, s->relaylist.len, s->ip);
}

/* every log line of this session carries sid= */
static void
session_id(void)
{
	char sid[LOG_SID_MAX], ctx[LOG_SID_MAX + 8];

	log_make_sid(sid);
	strcpy(ctx, "sid=");
	strcat(ctx, sid);
	log_context(ctx);
}

/* MODE_LOCAL (sendmail -bs): the caller, by its real uid, is the
 * sender; there is no network peer and nothing to relay for */
static void
local_setup(struct smtpd *s)
{
	struct passwd *pw = getpwuid(getuid());
	const char *p;
	char num[21];

	if (!pw || !*pw->pw_name || strlen(pw->pw_name) > 32)
		refuse("cannot find the login name of my caller");
	for (p = pw->pw_name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._-", *p))
			refuse("the login name is not usable in an address");
	/* LOGIN@me must be a path like any other: me may be 255 octets */
	if (strlen(pw->pw_name) + 1 + strlen(s->me) > ADDR_PATH_MAX)
		refuse("LOGIN@me would be longer than an address may be");
	strcpy(s->localuser, pw->pw_name);
	strcat(s->localuser, " uid ");
	strcat(s->localuser, ulong_str(num, (unsigned long)getuid()));
	strcpy(s->localsender, pw->pw_name);
	strcat(s->localsender, "@");
	strcat(s->localsender, s->me);
	strcpy(s->ip, "127.0.0.1");
	s->relayclient = 1;
	s->milters.len = 0;	/* as the sendmail command line: no milters */
}

static void
log_session(struct smtpd *s)
{
	static const char *const modes[] = { "mx", "submission", "smtps",
	    "local" };
	char n1[21], n2[21];

	log_line("session ip=", s->ip, " mode=", modes[s->mode],
	    " helo=", *s->helo ? s->helo : "-",
	    " tls=", s->tls ? s->tlsinfo : "no",
	    " auth=", s->authed ? s->authuser : "-",
	    " queued=", ulong_str(n1, s->n_queued),
	    " refused=", ulong_str(n2, s->n_refused),
	    " end=", s->end ? s->end : "?", NULL);
}

void
smtpd_serve(void)
{
	struct smtpd *s = &sess;
	const char *err;

	mode_setup(s);
	queue_setup(s);
	if (s->mode != MODE_LOCAL)
		tls_setup(s);
	peer_setup(s);
	session_id();
	config_setup(s);
	if (s->mode == MODE_LOCAL)
		local_setup(s);
	netio_init(&s->io, 0, 1, (unsigned int)s->lim.timeout);
	if (s->mode == MODE_SMTPS) {
		SSL_CTX *ctx = tlsload_ctx(&err);

		if (!ctx || netio_starttls_server(&s->io, ctx, &err) < 0) {
			log_line("TLS failed from ", s->ip, ": ", err, NULL);
			s->end = "TLS handshake failed";
			log_session(s);
			return;
		}
		s->tls = 1;
		tls_describe(s->io.ssl, s->tlsinfo, sizeof s->tlsinfo);
	}
	session_run(s);
	netio_tls_shutdown(&s->io);
	txn_reset(s);
	log_session(s);
}

void
smtpd_session_end(void)
{
	struct smtpd *s = &sess;

	limits_end();
	message_abort(s);
	if (s->io.ssl)		/* a handshake that failed */
		SSL_free(s->io.ssl);
	stralloc_free(&s->env);
	stralloc_free(&s->delims);
	stralloc_free(&s->relaylist);
	stralloc_free(&s->milters);
	stralloc_free(&s->dnsbl);
	explicit_bzero(s, sizeof *s);
	log_context(0);
}

int
smtpd_drop(void)
{
	const char *drop = getenv("SLUICE_DROP");

	if (drop && *drop && priv_drop(drop) < 0) {
		log_line_sys("cannot become ", drop, NULL);
		return -1;
	}
	if (getuid() == 0 || geteuid() == 0) {
		log_line("will not talk SMTP as root (set SLUICE_DROP)", NULL);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	log_init("sluice-smtpd");
	sig_ignore(SIGPIPE);
	if (argc > 1 && !strcmp(argv[1], "--pool"))
		return pool_main(argc - 2, argv + 2);
	tcpenv_server();	/* systemd Accept=yes: what tcpserver would do */
	mode_setup(&sess);
	/* a local session talks to its own caller: nobody to guard against */
	if (sess.mode != MODE_LOCAL) {
		smtpd_tls_load(0);
		if (smtpd_drop() < 0)
			refuse("privilege drop failed");
	}
	smtpd_serve();
	return 0;
}
