/*
 * services.c -- the daemontools service directories of an instance
 * (HACKING.md "Service directories"): one per listening port, running
 * tcpserver -H -R with a tcprules cdb, and "send" for the queue manager,
 * each with log/run piping into multilog as sluicel.
 *
 * Run scripts hold the instance root and the build's bin directory as
 * absolute, shell-quoted paths, and read me, concurrencyincoming and
 * smtpdtcpserver from control/ at every start, so `sluice-conf set` plus
 * `svc -t` applies them.  The SMTP listeners run `sluice-smtpd --pool`
 * (a master with long-lived workers, smtpd/pool.c) unless smtpdtcpserver
 * is 1; POP3 always runs under tcpserver.  Every listener offers TLS, so
 * in a root instance the server starts as root with SLUICE_DROP=sluiced:
 * it loads the key, then drops (each pool worker, or each tcpserver
 * child).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "conf.h"
#include "control.h"
#include "logmsg.h"
#include "settings.h"

#define SCRIPT_PATH \
	"PATH=\"$BIN:/command:/usr/local/bin:/usr/bin:/bin\"; export PATH\n"

const struct listener listeners[] = {
	{ "smtpd", "smtp", "sluice-smtpd", "SMTPD_MODE", "mx", 25,
	  "SMTP for incoming mail (MX)" },
	{ "submission", "submission", "sluice-smtpd", "SMTPD_MODE",
	  "submission", 587, "SMTP submission (STARTTLS, AUTH required)" },
	{ "smtps", "smtps", "sluice-smtpd", "SMTPD_MODE", "smtps", 465,
	  "SMTP submission over implicit TLS" },
	{ "pop3d", "pop3", "sluice-pop3d", "POP3D_MODE", "plain", 110,
	  "POP3 (STLS)" },
	{ "pop3s", "pop3s", "sluice-pop3d", "POP3D_MODE", "tls", 995,
	  "POP3 over implicit TLS" },
	/* not tcpserver: served by Dovecot and nginx (conf/apps.c), off
	 * unless given to init --ports or sluice-conf ports */
	{ "imapd", "imap", 0, 0, 0, 0, "IMAP (STARTTLS), served by Dovecot" },
	{ "imaps", "imaps", 0, 0, 0, 0,
	  "IMAP over implicit TLS, served by Dovecot" },
	{ "webmail", "webmail", 0, 0, 0, 0,
	  "webmail (Roundcube behind nginx, HTTPS)" },
	{ 0, 0, 0, 0, 0, 0, 0 }
};

const struct listener *
listener_find(const char *name)
{
	const struct listener *l;

	for (l = listeners; l->name; l++)
		if (!strcmp(l->name, name))
			return l;
	return 0;
}

char *
bin_dir(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
	char *slash;

	if (n <= 0)
		sys_fail("unable to find my own directory (/proc/self/exe)",
		    NULL);
	buf[n] = 0;
	slash = strrchr(buf, '/');
	if (!slash)
		usage_fail("strange path for my own binary", NULL);
	*slash = 0;
	return str_join("", buf[0] ? buf : "/");
}

char *
sh_quote(const char *s)
{
	stralloc q = {0};

	stralloc_need(stralloc_copys(&q, "'"));
	for (; *s; s++)
		stralloc_need(*s == '\'' ? stralloc_cats(&q, "'\\''") :
		    stralloc_append(&q, s));
	stralloc_need(stralloc_cats(&q, "'"));
	return sa_keep(&q);
}

static void
cats(stralloc *sa, const char *s)
{
	stralloc_need(stralloc_cats(sa, s));
}

static void
head(stralloc *sa, const char *what, const char *bin)
{
	cats(sa, "#!/bin/sh\n# sluice: ");
	cats(sa, what);
	cats(sa, "\n# Written by sluice-conf init.\nexec 2>&1\nROOT=");
	cats(sa, sh_quote(instance_root()));
	cats(sa, "\nBIN=");
	cats(sa, sh_quote(bin));
	cats(sa, "\n" SCRIPT_PATH
	    "SLUICE_ROOT=$ROOT; export SLUICE_ROOT\n");
}

static void
listener_run(stralloc *sa, const struct listener *l, const char *ip,
    const char *port, const char *bin)
{
	const struct setting *conc = setting_find("concurrencyincoming");

	sa->len = 0;
	head(sa, l->what, bin);
	cats(sa, "ME=`head -n 1 \"$ROOT/control/me\"` || exit 111\n"
	    "CONC=`head -n 1 \"$ROOT/control/concurrencyincoming\" "
	    "2>/dev/null`\n");
	cats(sa, l->modevar);
	cats(sa, "=");
	cats(sa, l->mode);
	cats(sa, "; export ");
	cats(sa, l->modevar);
	cats(sa, "\n");
	if (conf_multiuid) {
		cats(sa, "# tcpserver binds as root; the server loads the TLS "
		    "key, then becomes sluiced\n"
		    "# (numeric ids: no user database lookup per connection)\n"
		    "SLUICE_DROP=sluiced; export SLUICE_DROP\n"
		    "SLUICE_DROP_IDS=");
		cats(sa, drop_ids("sluiced"));
		cats(sa, "; export SLUICE_DROP_IDS\n");
	}
	if (!strcmp(l->prog, "sluice-smtpd")) {
		cats(sa, "if [ \"`head -n 1 \"$ROOT/control/smtpdtcpserver\" "
		    "2>/dev/null`\" != 1 ]; then\n"
		    "\t# the pool: a master with long-lived workers "
		    "(sluice-smtpd(8));\n"
		    "\t# smtpdtcpserver=1 runs tcpserver instead\n"
		    "\tSLUICE_TCPRULES=\"$ROOT/service/");
		cats(sa, l->name);
		cats(sa, "/tcp.cdb\"; export SLUICE_TCPRULES\n"
		    "\texec \"$BIN/sluice-smtpd\" --pool ");
		cats(sa, ip);
		cats(sa, " ");
		cats(sa, port);
		cats(sa, "\nfi\n");
	}
	cats(sa, "exec tcpserver -H -R -l \"$ME\" -c \"${CONC:-");
	cats(sa, conc ? conc->def : "200");
	cats(sa, "}\" -x tcp.cdb ");
	cats(sa, ip);
	cats(sa, " ");
	cats(sa, port);
	cats(sa, " \"$BIN/");
	cats(sa, l->prog);
	cats(sa, "\"\n");
}

static void
send_run(stralloc *sa, const char *bin)
{
	sa->len = 0;
	head(sa, "the queue manager (sluice-start runs sluice-local, "
	    "sluice-remote and sluice-send)", bin);
	cats(sa, "exec \"$BIN/sluice-start\"\n");
}

/* the counter service (lib/anvil.h): becomes sluiced itself */
static void
anvil_run(stralloc *sa, const char *bin)
{
	sa->len = 0;
	head(sa, "the counter service sluice-anvil (connections and messages "
	    "per IP and user, for sluice-smtpd)", bin);
	if (conf_multiuid)
		cats(sa, "SLUICE_DROP=sluiced; export SLUICE_DROP\n");
	cats(sa, "exec \"$BIN/sluice-anvil\"\n");
}

static void
log_run(stralloc *sa, const char *name)
{
	sa->len = 0;
	cats(sa, "#!/bin/sh\n# sluice: log of the ");
	cats(sa, name);
	cats(sa, " service.  Written by sluice-conf init.\n"
	    "PATH=\"/command:/usr/local/bin:/usr/bin:/bin\"; export PATH\n"
	    "# retention: logsize bytes per file, logcount files (settings,\n"
	    "# read at every start: sluice-conf set, then svc -t this log)\nROOT=");
	cats(sa, sh_quote(instance_root()));
	cats(sa, "\nSIZE=`head -n 1 \"$ROOT/control/logsize\" 2>/dev/null`\n"
	    "COUNT=`head -n 1 \"$ROOT/control/logcount\" 2>/dev/null`\n"
	    "exec ");
	if (conf_multiuid)
		cats(sa, "setuidgid sluicel ");
	cats(sa, "multilog t \"s${SIZE:-");
	cats(sa, setting_find("logsize")->def);
	cats(sa, "}\" \"n${COUNT:-");
	cats(sa, setting_find("logcount")->def);
	cats(sa, "}\" ");
	cats(sa, sh_quote(ipath2("log", name)));
	cats(sa, "\n");
}

static const char default_rules[] =
    "# tcprules for this service: first match wins; after editing run\n"
    "#   sluice-conf rebuild\n"
    "# examples:\n"
    "#   192.0.2.7:allow,RELAYCLIENT=\"\"\n"
    "#   198.51.100.:deny\n"
    ":allow\n";

/* compile DIR/tcp.rules into DIR/tcp.cdb with tcprules; NULL or reason */
const char *
tcprules_compile(const char *dir)
{
	pid_t pid;
	int st;

	pid = fork();
	if (pid < 0)
		sys_fail("unable to fork", NULL);
	if (pid == 0) {
		int fd;
		if (chdir(dir) < 0 || (fd = open("tcp.rules", O_RDONLY)) < 0 ||
		    dup2(fd, 0) < 0)
			_exit(111);
		execlp("tcprules", "tcprules", "tcp.cdb", "tcp.tmp",
		    (char *)0);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			sys_fail("unable to wait for tcprules", NULL);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		return "tcprules not found (install ucspi-tcp)";
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return "tcprules failed";
	return 0;
}

void
service_make(const char *name, const stralloc *run)
{
	char *dir = ipath2("service", name);
	stralloc log = {0};

	dir_make(dir, 0755, 0, 0);
	dir_make(str_join(dir, "/log"), 0755, 0, 0);
	dir_make(ipath2("log", name), 0750, "sluicel", 0);
	log_run(&log, name);
	file_put(str_join(dir, "/log/run"), log.s, log.len, 0755, 0, 0);
	file_put(str_join(dir, "/run"), run->s, run->len, 0755, 0, 0);
	unlink(str_join(dir, "/down"));	/* turned on again (ports) */
	stralloc_free(&log);
}

void
services_write(const char *bin)
{
	struct table t;
	stralloc run = {0};
	size_t i;

	table_load(&t, &ft_listen);
	dir_make(ipath("service"), 0755, 0, 0);
	dir_make(ipath("log"), 0755, 0, 0);
	for (i = 0; i < t.n; i++) {
		const char *name = t.l[i].key, *ip = t.l[i].val.s;
		const char *why;
		char *dir, *rules;
		struct stat st;

		if (!name || !listener_find(name)->prog)
			continue;
		listener_run(&run, listener_find(name), ip,
		    ip + strlen(ip) + 1, bin);
		dir = ipath2("service", name);
		service_make(name, &run);
		rules = str_join(dir, "/tcp.rules");
		if (lstat(rules, &st) < 0)	/* keep the administrator's */
			file_put(rules, default_rules,
			    sizeof default_rules - 1, 0644, 0, 0);
		if ((why = tcprules_compile(dir)))
			usage_fail(why, NULL);
	}
	send_run(&run, bin);
	service_make("send", &run);
	anvil_run(&run, bin);
	service_make("anvil", &run);
	stralloc_free(&run);
	apps_write(bin);
}

static const char *
exec_file(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return str_join(path, ": missing");
	if (!S_ISREG(st.st_mode) || !(st.st_mode & 0100))
		return str_join(path, ": not an executable file");
	return 0;
}

/* a run script made for another root (a copied instance) would run the
 * servers of that one */
static const char *
run_root(const char *run)
{
	char *want = str_join(str_join("\nROOT=", sh_quote(instance_root())),
	    "\n");
	stralloc text = {0};
	int found;

	file_get(run, &text, 1);
	stralloc_need(stralloc_0(&text));
	found = strstr(text.s, want) != 0;
	stralloc_free(&text);
	return found ? 0 : str_join(run, ": made for another instance root "
	    "(sluice-conf init writes the root into it)");
}

static void
service_check(const char *name, int listener, void (*report)(const char *))
{
	char *dir = ipath2("service", name);
	const char *why;
	struct stat r, c;

	if ((why = exec_file(str_join(dir, "/run"))) ||
	    (why = run_root(str_join(dir, "/run"))))
		report(why);
	if ((why = exec_file(str_join(dir, "/log/run"))))
		report(why);
	if (!listener)
		return;
	if (stat(str_join(dir, "/tcp.rules"), &r) < 0)
		report(str_join(dir, "/tcp.rules: missing"));
	else if (stat(str_join(dir, "/tcp.cdb"), &c) < 0)
		report(str_join(dir, "/tcp.cdb: missing (sluice-conf rebuild)"));
	else if (r.st_mtim.tv_sec > c.st_mtim.tv_sec ||
	    (r.st_mtim.tv_sec == c.st_mtim.tv_sec &&
	    r.st_mtim.tv_nsec > c.st_mtim.tv_nsec))
		report(str_join(dir, "/tcp.cdb: older than tcp.rules "
		    "(sluice-conf rebuild)"));
}

void
services_check(void (*report)(const char *), const struct table *listen)
{
	const char *why;
	size_t i;

	for (i = 0; listen && i < listen->n; i++)
		if (listen->l[i].key && listener_find(listen->l[i].key) &&
		    listener_find(listen->l[i].key)->prog)
			service_check(listen->l[i].key, 1, report);
	service_check("send", 0, report);
	if ((why = apps_check()))
		report(why);
}
