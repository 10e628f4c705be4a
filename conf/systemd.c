/*
 * systemd.c -- `sluice-conf systemd [--dir DIR]`: systemd units equivalent
 * to the instance's service directories, for hosts that use systemd
 * instead of daemontools.
 *
 * Per listener in control/listen: sluice-NAME.socket (ListenStream on the
 * same address and port).  The SMTP listeners (unless smtpdtcpserver is
 * 1) get Accept=no and sluice-NAME.service, which runs `sluice-smtpd
 * --pool`: the master takes the listening socket from systemd and keeps
 * its pool of workers, as under daemontools (KillMode=mixed: SIGTERM to
 * the master alone, which lets the workers finish their sessions).  POP3
 * (and SMTP with smtpdtcpserver=1) get Accept=yes, MaxConnections from
 * concurrencyincoming, and the template sluice-NAME@.service that runs
 * the server once per connection on the socket.  Both get the same
 * environment as the run script, plus SLUICE_TCPRULES naming the service
 * directory's tcp.cdb: the server reads the peer from the socket and
 * follows the per-IP rules itself, as tcpserver would (lib/tcpenv.h), so
 * tcp.rules and `sluice-conf rebuild` work the same under both
 * supervisors.  Plus
 * sluice-send.service for the queue manager, restarted like supervise
 * would; stopping it sends SIGTERM to sluice-send alone (KillMode=mixed),
 * which starts no new delivery and waits for the running ones (at most 60
 * seconds, within TimeoutStopSec) before it exits; only then is what is
 * left killed.  Units go to DIR (default ROOT/systemd); the files written
 * are listed on stdout.  sluice-anvil.service runs the counter service.
 */
#include <string.h>
#include <buffer.h>

#include "conf.h"
#include "control.h"
#include "logmsg.h"

static void
cats(stralloc *sa, const char *s)
{
	stralloc_need(stralloc_cats(sa, s));
}

/* a path for a unit file: '%' doubled; quotes and backslashes refused */
static char *
unit_path(const char *p)
{
	stralloc sa = {0};

	if (strpbrk(p, "\"\\"))
		usage_fail("systemd: path contains a quote or backslash: ", p,
		    NULL);
	for (; *p; p++) {
		stralloc_need(stralloc_append(&sa, p));
		if (*p == '%')
			stralloc_need(stralloc_append(&sa, "%"));
	}
	return sa_keep(&sa);
}

static void
put(const char *dir, const char *name, const stralloc *sa)
{
	char *path = str_join(str_join(dir, "/"), name);

	file_put(path, sa->s, sa->len, 0644, 0, 0);
	buffer_puts(buffer_1, path);
	buffer_puts(buffer_1, "\n");
}

/* confinement that leaves what the programs need: no NoNewPrivileges,
 * as sluice-queue is setuid sluiceq */
static const char hardening[] =
    "PrivateTmp=yes\nProtectSystem=full\nProtectKernelTunables=yes\n"
    "ProtectKernelModules=yes\nProtectControlGroups=yes\n"
    "RestrictRealtime=yes\nLockPersonality=yes\n";

static void
env_line(stralloc *sa, const char *var, const char *value)
{
	cats(sa, "Environment=\"");
	cats(sa, var);
	cats(sa, "=");
	cats(sa, value);
	cats(sa, "\"\n");
}

static void
listener_units(const char *dir, const struct listener *l, const char *ip,
    const char *port, const char *bin, const char *conc, int pool)
{
	stralloc sa = {0};
	char *unit = str_join("sluice-", l->name);

	cats(&sa, "# Written by sluice-conf systemd.\n[Unit]\n"
	    "Description=sluice ");
	cats(&sa, l->name);
	cats(&sa, ": ");
	cats(&sa, l->what);
	cats(&sa, "\n\n[Socket]\nListenStream=");
	if (strchr(ip, ':'))
		cats(&sa, str_join(str_join("[", ip), "]"));
	else
		cats(&sa, ip);
	cats(&sa, ":");
	cats(&sa, port);
	if (pool)
		cats(&sa, "\nAccept=no\n");
	else {
		cats(&sa, "\nAccept=yes\nMaxConnections=");
		cats(&sa, conc);
		cats(&sa, "\n");
	}
	cats(&sa, "\n[Install]\nWantedBy=sockets.target\n");
	put(dir, str_join(unit, ".socket"), &sa);

	sa.len = 0;
	cats(&sa, "# Written by sluice-conf systemd.\n[Unit]\n"
	    "Description=sluice ");
	cats(&sa, l->name);
	cats(&sa, pool ? ": master and worker pool\n\n[Service]\n" :
	    " connection\n\n[Service]\n");
	env_line(&sa, "SLUICE_ROOT", unit_path(instance_root()));
	env_line(&sa, l->modevar, l->mode);
	env_line(&sa, "SLUICE_TCPRULES", unit_path(str_join(ipath2("service",
	    l->name), "/tcp.cdb")));
	if (conf_multiuid) {
		env_line(&sa, "SLUICE_DROP", "sluiced");
		env_line(&sa, "SLUICE_DROP_IDS", drop_ids("sluiced"));
	}
	cats(&sa, "ExecStart=\"");
	cats(&sa, unit_path(str_join(str_join(bin, "/"), l->prog)));
	if (pool)
		cats(&sa, "\" --pool\nRestart=always\nRestartSec=1\n"
		    "KillMode=mixed\nTimeoutStopSec=30\n"
		    "StandardError=journal\nSyslogIdentifier=");
	else
		cats(&sa, "\"\nStandardInput=socket\nStandardOutput=socket\n"
		    "StandardError=journal\nSyslogIdentifier=");
	cats(&sa, unit);
	cats(&sa, "\n");
	cats(&sa, hardening);
	put(dir, str_join(unit, pool ? ".service" : "@.service"), &sa);
	stralloc_free(&sa);
}

static void
send_unit(const char *dir, const char *bin)
{
	stralloc sa = {0};

	cats(&sa, "# Written by sluice-conf systemd.\n[Unit]\n"
	    "Description=sluice queue manager (sluice-start: sluice-send, "
	    "sluice-local, sluice-remote)\nAfter=network.target\n\n"
	    "[Service]\n");
	env_line(&sa, "SLUICE_ROOT", unit_path(instance_root()));
	cats(&sa, "ExecStart=\"");
	cats(&sa, unit_path(str_join(bin, "/sluice-start")));
	cats(&sa, "\"\nRestart=always\nRestartSec=1\n"
	    "KillMode=mixed\nTimeoutStopSec=90\n"
	    "SyslogIdentifier=sluice-send\n");
	cats(&sa, hardening);
	cats(&sa, "\n[Install]\nWantedBy=multi-user.target\n");
	put(dir, "sluice-send.service", &sa);
	stralloc_free(&sa);
}

/* the counter service every sluice-smtpd asks (lib/anvil.h) */
static void
anvil_unit(const char *dir, const char *bin)
{
	stralloc sa = {0};

	cats(&sa, "# Written by sluice-conf systemd.\n[Unit]\n"
	    "Description=sluice counter service (sluice-anvil: connections "
	    "and messages per IP and user)\n\n[Service]\n");
	env_line(&sa, "SLUICE_ROOT", unit_path(instance_root()));
	if (conf_multiuid)
		env_line(&sa, "SLUICE_DROP", "sluiced");
	cats(&sa, "ExecStart=\"");
	cats(&sa, unit_path(str_join(bin, "/sluice-anvil")));
	cats(&sa, "\"\nRestart=always\nRestartSec=1\n"
	    "SyslogIdentifier=sluice-anvil\n");
	cats(&sa, hardening);
	cats(&sa, "\n[Install]\nWantedBy=multi-user.target\n");
	put(dir, "sluice-anvil.service", &sa);
	stralloc_free(&sa);
}

int
cmd_systemd(int argc, char **argv)
{
	struct table t;
	stralloc conc = {0};
	unsigned long tcpserver;
	const char *dir = ipath("systemd");
	char *bin = bin_dir();
	size_t i;

	if (argc == 3 && !strcmp(argv[1], "--dir"))
		dir = argv[2];
	else if (argc != 1)
		usage_fail("usage: sluice-conf systemd [--dir DIR]", NULL);
	if (!*dir || has_ctl(dir, strlen(dir)))
		usage_fail("systemd: bad --dir", NULL);
	if (control_get_str("concurrencyincoming", &conc) < 0)
		usage_fail("control/concurrencyincoming: bad value", NULL);
	if (control_get_uint("smtpdtcpserver", &tcpserver) < 0)
		usage_fail("control/smtpdtcpserver: bad value", NULL);
	table_load(&t, &ft_listen);
	unit_path(instance_root());	/* refuse unusable paths early */
	unit_path(bin);
	dir_make(dir, 0755, 0, 0);
	for (i = 0; i < t.n; i++) {
		const char *ip = t.l[i].val.s;	/* IP \0 PORT \0 */
		if (t.l[i].key && listener_find(t.l[i].key)->prog)
			listener_units(dir, listener_find(t.l[i].key), ip,
			    ip + strlen(ip) + 1, bin, conc.s, !tcpserver &&
			    !strcmp(listener_find(t.l[i].key)->prog,
			    "sluice-smtpd"));
	}
	send_unit(dir, bin);
	apps_systemd(dir, bin);
	anvil_unit(dir, bin);
	stralloc_free(&conc);
	if (buffer_flush(buffer_1) < 0)
		sys_fail("unable to write to stdout", NULL);
	return 0;
}
