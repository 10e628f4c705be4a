/*
 * ports.c -- which address and ports an instance listens on:
 * `init --ports/--bind`, and after init
 *
 *   ports NAME=PORT|off[,NAME=PORT|off...]    (names as in init --ports)
 *   bind IP
 *
 * control/listen ("SERVICE IP PORT" lines) is the one source; the service
 * directories, Dovecot's and the web server's configuration are written
 * from it.  Every argument is checked before anything changes (unknown
 * name, port out of range, the same port twice, a bad IP: one line, exit
 * 1).  Then control/listen is replaced atomically, every run script and
 * application configuration is rewritten (each file atomically; an
 * administrator's tcp.rules is kept), and a listener turned off gets a
 * `down` file and a run script that stops it.  Running servers keep their
 * old sockets until restarted: the command prints the svc line to do it.
 */
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <buffer.h>

#include "conf.h"
#include "control.h"
#include "logmsg.h"
#include "netaddr.h"

static void __attribute__((noreturn))
port_names_fail(const char *opt)
{
	stralloc s = {0};
	size_t k;

	for (k = 0; listeners[k].name; k++) {
		stralloc_need(stralloc_cats(&s, k ? ", " : ""));
		stralloc_need(stralloc_cats(&s, listeners[k].portname));
	}
	usage_fail(opt, ": unknown service (", sa_keep(&s), ")", NULL);
}

/* index in listeners[] of the port name s[0..len), or exit 1 */
static size_t
port_name(const char *opt, const char *s, size_t len)
{
	size_t k;

	for (k = 0; listeners[k].name; k++)
		if (strlen(listeners[k].portname) == len &&
		    !memcmp(listeners[k].portname, s, len))
			return k;
	port_names_fail(opt);
}

/* "off", 0 or 1..65535 from s[0..len) into out ("" = off), or exit 1 */
static void
port_value(const char *opt, const char *s, size_t len, char *out)
{
	unsigned long v = 0;
	size_t i;

	if (len == 3 && !memcmp(s, "off", 3)) {
		out[0] = 0;
		return;
	}
	if (!len || len > 5)
		usage_fail(opt, ": port must be 1-65535 or off", NULL);
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			usage_fail(opt, ": port must be 1-65535 or off", NULL);
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		usage_fail(opt, ": port must be 1-65535 or off", NULL);
	if (v == 0)
		out[0] = 0;
	else
		ulong_str(out, v);
}

void
ports_parse(struct portset *ps, const char *opt, const char *spec)
{
	const char *p = spec;

	if (!*p)
		usage_fail(opt, ": expected NAME=PORT", NULL);
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', len);

		if (!eq)
			usage_fail(opt, ": expected NAME=PORT", NULL);
		port_value(opt, eq + 1, (size_t)(p + len - eq - 1),
		    ps->port[port_name(opt, p, (size_t)(eq - p))]);
		p += len;
		if (*p == ',' && !*++p)
			usage_fail(opt, ": empty entry", NULL);
	}
	ports_distinct(ps, opt);
}

void
ports_distinct(const struct portset *ps, const char *opt)
{
	size_t i, j;

	for (i = 0; listeners[i].name; i++)
		for (j = i + 1; listeners[j].name; j++)
			if (ps->port[i][0] && !strcmp(ps->port[i], ps->port[j]))
				usage_fail(opt, ": port ", ps->port[i],
				    " given twice", NULL);
}

void
ports_defaults(struct portset *ps)
{
	size_t k;

	memset(ps, 0, sizeof *ps);
	ps->bind = "0.0.0.0";
	for (k = 0; listeners[k].name; k++)
		if (listeners[k].defport)
			ulong_str(ps->port[k], listeners[k].defport);
}

/* the instance's current listeners (control/listen) */
static void
ports_current(struct portset *ps)
{
	struct table t;
	size_t i, k;

	memset(ps, 0, sizeof *ps);
	ps->bind = 0;
	table_load(&t, &ft_listen);
	for (i = 0; i < t.n; i++) {
		const char *ip = t.l[i].val.s;
		if (!t.l[i].key)
			continue;
		for (k = 0; listeners[k].name; k++)
			if (!strcmp(listeners[k].name, t.l[i].key))
				break;
		if (!listeners[k].name || k >= NLISTEN)
			continue;
		memcpy(ps->port[k], ip + strlen(ip) + 1,
		    strlen(ip + strlen(ip) + 1) + 1);
		if (!ps->bind)
			ps->bind = str_join(ip, "");
	}
	if (!ps->bind)
		ps->bind = "0.0.0.0";
}

void
ports_bind_check(const char *opt, const char *ip)
{
	struct ipaddr a;

	if (!ip_parse(ip, strlen(ip), &a))
		usage_fail(opt, ": not an IP address: ", ip, NULL);
}

void
listen_write(const struct portset *ps)
{
	stralloc s = {0};
	size_t k;

	stralloc_need(stralloc_copys(&s, ""));
	for (k = 0; listeners[k].name; k++) {
		if (!ps->port[k][0])
			continue;
		stralloc_need(stralloc_cats(&s, listeners[k].name));
		stralloc_need(stralloc_cats(&s, " "));
		stralloc_need(stralloc_cats(&s, ps->bind));
		stralloc_need(stralloc_cats(&s, " "));
		stralloc_need(stralloc_cats(&s, ps->port[k]));
		stralloc_need(stralloc_cats(&s, "\n"));
	}
	file_put(ipath("control/listen"), s.s, s.len, 0644, 0, 0);
	stralloc_free(&s);
}

int
listen_get(const char *name, char **ip, char **port)
{
	struct table t;
	long i;

	table_load(&t, &ft_listen);
	i = table_find(&t, name);
	if (i < 0)
		return 0;
	*ip = str_join(t.l[i].val.s, "");
	*port = str_join(t.l[i].val.s + strlen(t.l[i].val.s) + 1, "");
	return 1;
}

char *
listen_connect_ip(const char *ip)
{
	if (!strcmp(ip, "0.0.0.0"))
		return "127.0.0.1";
	if (!strcmp(ip, "::"))
		return "::1";
	return str_join(ip, "");
}

static const char stop_run[] =
    "#!/bin/sh\n# sluice: this listener is off (sluice-conf ports "
    "NAME=off).  Written by sluice-conf.\n"
    "PATH=\"/command:/usr/local/bin:/usr/bin:/bin\"; export PATH\n"
    "svc -d \"`pwd`\" 2>/dev/null\nexec sleep 1\n";

/* a service directory whose listener is now off: stop it for good */
void
service_disable(const char *name)
{
	char *dir = ipath2("service", name);
	struct stat st;

	if (stat(dir, &st) < 0)
		return;
	file_put(str_join(dir, "/down"), "", 0, 0644, 0, 0);
	file_put(str_join(dir, "/run"), stop_run, sizeof stop_run - 1, 0755,
	    0, 0);
}

/* print the svc line that applies the change */
static void
restart_hint(void)
{
	struct table t;
	size_t i;
	const char *dir;

	table_load(&t, &ft_listen);
	buffer_puts(buffer_1, "sluice-conf: restart to apply: svc -u -t");
	for (i = 0; i < t.n; i++) {
		const struct listener *l;
		if (!t.l[i].key || !(l = listener_find(t.l[i].key)))
			continue;
		dir = l->prog ? l->name : app_service(l->name);
		if (!dir || !strcmp(l->name, "imaps"))	/* imapd's too */
			continue;
		buffer_puts(buffer_1, " ");
		buffer_puts(buffer_1, ipath2("service", dir));
	}
	buffer_puts(buffer_1, "\n");
	buffer_flush(buffer_1);
}

static void
ports_apply(const struct portset *ps)
{
	size_t k;

	apps_validate(ps);
	if (conf_multiuid)
		sysusers_create();	/* an older instance may lack sluicew */
	listen_write(ps);
	services_write(bin_dir());
	for (k = 0; listeners[k].name; k++)
		if (!ps->port[k][0] && listeners[k].prog)
			service_disable(listeners[k].name);
	apps_disable_off(ps);
	restart_hint();
}

int
cmd_ports(int argc, char **argv)
{
	struct portset ps;

	if (argc != 2)
		usage_fail("usage: sluice-conf ports NAME=PORT|off[,...]", NULL);
	ports_current(&ps);
	ports_parse(&ps, "ports", argv[1]);
	ports_apply(&ps);
	return 0;
}

int
cmd_bind(int argc, char **argv)
{
	struct portset ps;

	if (argc != 2)
		usage_fail("usage: sluice-conf bind IP", NULL);
	ports_bind_check("bind", argv[1]);
	ports_current(&ps);
	ps.bind = argv[1];
	ports_apply(&ps);
	return 0;
}
