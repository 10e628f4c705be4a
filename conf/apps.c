/*
 * apps.c -- the listeners that are not tcpserver: IMAP and IMAPS served
 * by Dovecot (conf/dovecot.c, service "imapd") and webmail served by
 * nginx with php-fpm running Roundcube (conf/webmail.c, services
 * "webmail" and "webmail-php").  Here: what they share, and the calls
 * that the rest of sluice-conf makes (init, ports, bind, check, systemd).
 *
 * Their configuration files live under ROOT and hold the instance root
 * and bin paths unquoted, so those paths are limited to characters that
 * mean nothing to Dovecot, nginx, php-fpm, PHP and the shell
 * (A-Z a-z 0-9 / . _ + - @ = , :); apps_validate refuses others before
 * anything is written.
 */
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <buffer.h>

#include "conf.h"
#include "control.h"
#include "logmsg.h"

void
cats_all(stralloc *sa, ...)
{
	va_list ap;
	const char *s;

	va_start(ap, sa);
	while ((s = va_arg(ap, const char *)))
		stralloc_need(stralloc_cats(sa, s));
	va_end(ap);
}

static int
path_plain(const char *p)
{
	for (; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("/._+-@=,:", *p)))
			return 0;
	return 1;
}

static size_t
listener_index(const char *name)
{
	size_t k;

	for (k = 0; listeners[k].name; k++)
		if (!strcmp(listeners[k].name, name))
			break;
	return k;
}

static int
ps_on(const struct portset *ps, const char *name)
{
	return ps->port[listener_index(name)][0] != 0;
}

int
app_on(const char *name)
{
	char *ip, *port;

	return listen_get(name, &ip, &port);
}

const char *
app_service(const char *listener)
{
	if (!strcmp(listener, "imapd") || !strcmp(listener, "imaps"))
		return "imapd";
	if (!strcmp(listener, "webmail"))
		return "webmail";
	return 0;
}

void
apps_validate(const struct portset *ps)
{
	int imap = ps_on(ps, "imapd") || ps_on(ps, "imaps");
	int web = ps_on(ps, "webmail");

	if (!imap && !web)
		return;
	if (!path_plain(instance_root()) || !path_plain(bin_dir()))
		usage_fail("imap and webmail need an instance root and a bin "
		    "directory made of A-Z a-z 0-9 / . _ + - @ = , : only",
		    NULL);
	if (strlen(instance_root()) > 200)
		usage_fail("imap and webmail need an instance root of at most "
		    "200 bytes (socket paths)", NULL);
	if (web && !imap)
		usage_fail("webmail needs imap or imaps on (Roundcube reads "
		    "mail over IMAP)", NULL);
	if (web && !ps_on(ps, "submission"))
		usage_fail("webmail needs submission on (Roundcube sends "
		    "through it)", NULL);
}

/* run script head: the instance and bin paths, PATH with the sbin dirs */
void
app_run_head(stralloc *sa, const char *what, const char *bin)
{
	sa->len = 0;
	cats_all(sa, "#!/bin/sh\n# sluice: ", what, "\n# Written by "
	    "sluice-conf (init, ports, bind).\nexec 2>&1\nROOT=",
	    instance_root(), "\nBIN=", bin, "\nPATH=\"$BIN:/command:"
	    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"; "
	    "export PATH\nSLUICE_ROOT=$ROOT; export SLUICE_ROOT\n", NULL);
}

void
apps_write(const char *bin)
{
	if (app_on("imapd") || app_on("imaps"))
		dovecot_write(bin);
	if (app_on("webmail"))
		webmail_write(bin);
}

void
apps_disable_off(const struct portset *ps)
{
	if (!ps_on(ps, "imapd") && !ps_on(ps, "imaps"))
		service_disable("imapd");
	if (!ps_on(ps, "webmail")) {
		service_disable("webmail");
		service_disable("webmail-php");
	}
}

const char *
apps_check(void)
{
	const char *why;

	if ((app_on("imapd") || app_on("imaps")) && (why = dovecot_check()))
		return why;
	if (app_on("webmail") && (why = webmail_check()))
		return why;
	return 0;
}

void
apps_systemd(const char *dir, const char *bin)
{
	if (app_on("imapd") || app_on("imaps"))
		dovecot_systemd(dir);
	if (app_on("webmail"))
		webmail_systemd(dir);
}

/* a unit that runs one of our service run scripts in the foreground:
 * the same programs and files as under svscan */
void
app_unit(const char *dir, const char *service, const char *what,
    const char *after)
{
	stralloc sa = {0};
	char *path = str_join(str_join(dir, "/sluice-"), str_join(service,
	    ".service"));

	cats_all(&sa, "# Written by sluice-conf systemd.\n[Unit]\n"
	    "Description=sluice ", service, ": ", what, "\nAfter=network.target",
	    after ? " " : "", after ? after : "", "\n\n[Service]\n"
	    "ExecStart=/bin/sh ", ipath2("service", service), "/run\n"
	    "WorkingDirectory=", ipath2("service", service), "\n"
	    "Restart=always\nRestartSec=1\nSyslogIdentifier=sluice-", service,
	    "\nPrivateTmp=yes\nProtectKernelTunables=yes\n"
	    "ProtectKernelModules=yes\nProtectControlGroups=yes\n"
	    "\n[Install]\nWantedBy=multi-user.target\n", NULL);
	file_put(path, sa.s, sa.len, 0644, 0, 0);
	stralloc_free(&sa);
	buffer_puts(buffer_1, path);
	buffer_puts(buffer_1, "\n");
}
