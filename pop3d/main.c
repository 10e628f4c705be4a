/*
 * main.c -- sluice-pop3d: POP3 (RFC 1939 with CAPA, STLS, AUTH PLAIN,
 * RESP-CODES) over Maildir, one connection on fd 0/1 under tcpserver or
 * systemd (Accept=yes).
 *
 * Usage: sluice-pop3d [checkpassword-program [args...]]
 * Environment: SLUICE_ROOT, POP3D_MODE=plain|tls (tls: implicit TLS, port
 * 995), SLUICE_DROP (the user for the network side; default sluiced when
 * started as root), TCPREMOTEIP, SLUICE_TCPRULES (without tcpserver: a
 * tcprules cdb followed for the client, lib/tcpenv.h).
 *
 * Processes (started as root in a root instance):
 *   P (this one) loads the settings, starts A, then only
 *     answers A's login requests: it checks the credentials (auth.c),
 *     delays and counts failures, logs every login and failure with the
 *     client's IP, and for a good login forks B.  P closes fd 0/1 right
 *     after starting A: it never sees a byte from the network.
 *   A (front.c) loads the TLS key while still root, drops to
 *     SLUICE_DROP with its primary group only (sluiced's group sluice
 *     may read users.cdb; A must not), installs a seccomp allowlist
 *     without open (confine.c) and speaks to the client; only A holds
 *     the key.
 *   B (trans.c) chroots into the user's Maildir, becomes the mailbox
 *     owner (uid/gid from users.cdb or checkpassword) and serves the
 *     mailbox over a socket pair whose other end P passes to A.
 * In a non-root (development) instance all three run as the caller and
 * B only changes directory into the Maildir.
 *
 * Exit: 0 normally, 111 on a configuration or system error (after an
 * "-ERR [SYS/TEMP]" reply when possible).  P logs a child (A or B)
 * killed by a signal: SIGSYS means a system call outside its filter.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include "packet.h"
#include "pop3d.h"
#include "control.h"
#include "exitcodes.h"
#include "logmsg.h"
#include "maildir.h"
#include "netaddr.h"
#include "sysutil.h"
#include "tcpenv.h"
#include "tlsw.h"

static char selfpath[PATH_MAX];
static char ipbuf[64];
static stralloc me;

static void tempfail(const char *, const char *) __attribute__((noreturn));

static void
tempfail(const char *what, const char *why)
{
	static const char msg[] = "-ERR [SYS/TEMP] temporarily unavailable\r\n";

	log_line(what, why, (char *)0);
	write_all(1, msg, sizeof msg - 1);
	_exit(EX_SL_TEMP);
}

static unsigned long
setting_uint(const char *key)
{
	unsigned long v;

	if (control_get_uint(key, &v) < 0)
		tempfail("bad setting ", key);
	return v;
}

/* the client's address: tcpserver's TCPREMOTEIP, else the socket's peer */
static const char *
remote_ip(void)
{
	const char *ip = getenv("TCPREMOTEIP");
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	struct ipaddr a;

	if (ip && *ip)
		return ip;
	if (getpeername(0, (struct sockaddr *)&ss, &sl) < 0)
		return "unknown";
	memset(&a, 0, sizeof a);
	if (ss.ss_family == AF_INET) {
		a.family = 4;
		memcpy(a.a, &((struct sockaddr_in *)&ss)->sin_addr, 4);
	} else if (ss.ss_family == AF_INET6) {
		a.family = 6;
		memcpy(a.a, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
	} else
		return "unknown";
	ipbuf[ip_format(&a, ipbuf)] = 0;
	return ipbuf;
}

/* only A ever holds the key: P and the mailbox processes it forks never
 * load it, so a mailbox process cannot leak it */
static void
load_tls(struct pop3conf *cf)
{
	const char *err = "";

	cf->ctx = tls_server_ctx(tls_cert_path(), tls_key_path(), &err);
	if (!cf->ctx && cf->implicit_tls)
		tempfail("cannot load TLS certificate: ", err);
	if (!cf->ctx)
		log_line("no STLS: cannot load TLS certificate: ", err,
		    (char *)0);
}

static void
load_conf(struct pop3conf *cf, int argc, char **argv)
{
	const char *mode;
	ssize_t n;

	memset(cf, 0, sizeof *cf);
	cf->timeout = setting_uint("timeoutpop3d");
	cf->maxauth = setting_uint("maxauthfailures");
	cf->faildelay = setting_uint("authfaildelay");
	cf->maxbad = setting_uint("maxbadcommands");
	cf->plaintext = setting_uint("pop3plaintext") != 0;
	if (control_get_str("me", &me) < 0)
		tempfail("bad setting ", "me");
	if (me.len <= 1) {
		if (!stralloc_ready(&me, 256) || gethostname(me.s, 255) < 0)
			tempfail("cannot find host name", "");
		me.s[255] = 0;
	}
	cf->me = me.s;
	cf->ip = remote_ip();
	mode = getenv("POP3D_MODE");
	if (mode && strcmp(mode, "tls") == 0)
		cf->implicit_tls = 1;
	else if (mode && *mode && strcmp(mode, "plain") != 0)
		tempfail("bad POP3D_MODE ", mode);
	if (argc > 1) {
		cf->checkpw = argv + 1;
		n = readlink("/proc/self/exe", selfpath, sizeof selfpath - 1);
		if (n <= 0)
			tempfail("cannot find own path", "");
		selfpath[n] = 0;
		cf->self = selfpath;
	}
}

/* A: load the TLS key, drop to the network user with no supplementary
 * group (sluiced is in group sluice, which may read users.cdb: A must
 * not), confine, serve the client */
static void
start_front(struct pop3conf *cf, int ctl)
{
	const char *user = getenv("SLUICE_DROP");
	int one = 1;

	load_tls(cf);
	/* replies are whole and written once each: don't let Nagle hold
	 * them back waiting for the client's delayed ACK (no-op if not TCP) */
	setsockopt(1, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if ((!user || !*user) && getuid() == 0)
		user = "sluiced";
	if (user && *user && priv_drop_alone(user) < 0)
		tempfail("cannot drop privileges to ", user);
	if (confine_self(CONFINE_FRONT) < 0)
		tempfail("cannot install the seccomp filter", "");
	front_run(cf, ctl);
}

/* A user who never got mail may have no Maildir yet: make it, with the
 * owner's ids (as root: effective ids only, given back right after), so
 * that the first login sees an empty mailbox rather than an error. */
static int
make_missing_maildir(const struct login *l)
{
	int r;

	if (getuid() != 0)
		return maildir_make(l->maildir);
	if (setgroups(1, &l->gid) < 0 || setegid(l->gid) < 0 ||
	    seteuid(l->uid) < 0)
		return -1;
	r = maildir_make(l->maildir);
	if (seteuid(0) < 0 || setegid(0) < 0)
		_exit(EX_SL_TEMP);
	return r;
}

/* B: into the Maildir, become its owner, serve it */
static void
start_mailbox(const struct pop3conf *cf, const struct login *l, int sock)
{
	static const char gone[] = "-ERR [SYS/TEMP] mailbox unavailable\r\n";

	if (chdir(l->maildir) < 0 && (errno != ENOENT ||
	    make_missing_maildir(l) < 0 || chdir(l->maildir) < 0)) {
		log_line_sys("cannot enter ", l->maildir, (char *)0);
		write_all(sock, gone, sizeof gone - 1);
		_exit(EX_SL_TEMP);
	}
	if (getuid() == 0 && (chroot(".") < 0 || chdir("/") < 0 ||
	    priv_drop_ids(l->uid, l->gid) < 0)) {
		log_line_sys("cannot confine to ", l->maildir, (char *)0);
		write_all(sock, gone, sizeof gone - 1);
		_exit(EX_SL_TEMP);
	}
	if (confine_self(CONFINE_MAILBOX) < 0) {
		log_line_sys("cannot install the seccomp filter", (char *)0);
		write_all(sock, gone, sizeof gone - 1);
		_exit(EX_SL_TEMP);
	}
	mailbox_run(cf, sock, l->user);
}

/* fork B; the socket for A, or -1 */
static int
fork_mailbox(const struct pop3conf *cf, const struct login *l, int ctl)
{
	int sp[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(sp[0]);
		close(sp[1]);
		return -1;
	}
	if (pid == 0) {
		close(ctl);
		close(sp[0]);
		start_mailbox(cf, l, sp[1]);
	}
	close(sp[1]);
	return sp[0];
}

/* "authfail IP USER why": one line, the user name made safe */
static void
log_auth(const char *what, const struct pop3conf *cf, const char *user,
    const char *why)
{
	char prefix[160], suffix[128];
	size_t wl = strlen(what), il = strlen(cf->ip), yl = strlen(why);

	/* "auth failed ip=IP user=USER why", as sluice-smtpd logs it */
	if (wl + il + 12 > sizeof prefix || yl + 2 > sizeof suffix)
		return;
	memcpy(prefix, what, wl);
	memcpy(prefix + wl, " ip=", 4);
	memcpy(prefix + wl + 4, cf->ip, il);
	memcpy(prefix + wl + 4 + il, " user=", 7);
	suffix[0] = ' ';
	memcpy(suffix + 1, why, yl + 1);
	log_lineb(prefix, user, strlen(user), suffix);
}

/* one login request from A; 0 to go on, -1 to stop serving A */
static int
handle_request(const struct pop3conf *cf, int ctl, char *msg, size_t len,
    unsigned long *failures)
{
	struct login l;
	const char *why = "";
	char *user, *pass, answer;
	int r, fd;

	if (!ctl_split_login(msg, len, &user, &pass))
		return -1;
	r = auth_check(cf, user, pass, &l, &why);
	explicit_bzero(pass, strlen(pass));
	if (r > 0) {
		log_line("login ", l.user, " ", cf->ip, (char *)0);
		fd = fork_mailbox(cf, &l, ctl);
		answer = fd >= 0 ? CTL_OK : CTL_TEMP;
		r = packet_send(ctl, &answer, 1, fd);
		if (fd >= 0)
			close(fd);
		return r;
	}
	if (r < 0) {
		log_auth("auth tempfail", cf, user, why);
		answer = CTL_TEMP;
		return packet_send(ctl, &answer, 1, -1);
	}
	(*failures)++;
	log_auth("auth failed", cf, user, why);
	if (cf->faildelay)
		sleep((unsigned int)cf->faildelay);
	answer = *failures >= cf->maxauth ? CTL_LIMIT : CTL_BAD;
	if (packet_send(ctl, &answer, 1, -1) < 0 || answer == CTL_LIMIT)
		return -1;
	return 0;
}

static void
serve_front(const struct pop3conf *cf, int ctl)
{
	char msg[CTL_MSG_MAX];
	unsigned long failures = 0;
	ssize_t r;
	int fd;

	for (;;) {
		r = packet_recv(ctl, msg, sizeof msg, &fd);
		if (fd >= 0)
			close(fd);
		if (r <= 0)
			break;
		if (handle_request(cf, ctl, msg, (size_t)r, &failures) < 0)
			break;
	}
	close(ctl);
}

/* P lets go of the client connection: only A holds it from now on */
static void
detach_client(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd < 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0)
		fatal_sys(EX_SL_TEMP, "cannot open /dev/null", (char *)0);
	close(fd);
}

/* wait for A and every B; say when one was killed (SIGSYS: it made a
 * system call outside its seccomp allowlist) */
static void
reap_children(const struct pop3conf *cf, pid_t front)
{
	char num[24];
	pid_t pid;
	int status;

	while ((pid = wait(&status)) > 0 || errno == EINTR) {
		if (pid <= 0 || !WIFSIGNALED(status) ||
		    WTERMSIG(status) == SIGKILL || WTERMSIG(status) == SIGTERM)
			continue;
		ulong_str(num, (unsigned long)WTERMSIG(status));
		log_line(pid == front ? "front" : "mailbox", " process for ",
		    cf->ip, " killed by signal ", num,
		    WTERMSIG(status) == SIGSYS ?
		    " (a system call outside its seccomp allowlist)" : "",
		    (char *)0);
	}
}

int
main(int argc, char **argv)
{
	struct pop3conf cf;
	int sv[2];
	pid_t pid;

	log_init("sluice-pop3d");
	if (argc == 2 && strcmp(argv[1], "--report") == 0)
		return auth_report();
	tcpenv_server();	/* systemd Accept=yes: what tcpserver would do */
	sig_ignore(SIGPIPE);
	load_conf(&cf, argc, argv);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		tempfail("socketpair failed", "");
	pid = fork();
	if (pid < 0)
		tempfail("fork failed", "");
	if (pid == 0) {
		close(sv[0]);
		start_front(&cf, sv[1]);
	}
	close(sv[1]);
	detach_client();
	serve_front(&cf, sv[0]);
	reap_children(&cf, pid);
	return 0;
}
