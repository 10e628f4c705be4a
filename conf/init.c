/*
 * init.c -- `sluice-conf init`: create an instance.
 *
 *   init --me HOSTNAME [--ports smtp=25,submission=587,...] [--bind IP]
 *
 * Every argument is checked before anything is created, and init refuses
 * to touch a directory that already holds an instance.  As root it
 * creates the system users, gives each directory its owner and mode
 * (HACKING.md) and makes BIN/sluice-queue setuid sluiceq; as anyone else
 * it makes a single-uid development instance and says so.  Then: empty
 * tables with their cdb files, a self-signed certificate, and the service
 * directories.  A port given as "off" (or 0) gets no service.  When init
 * fails half-way it removes what it made (the system users stay: they are
 * shared by every instance).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <buffer.h>

#include "conf.h"
#include "control.h"
#include "logmsg.h"
#include "netaddr.h"

#define NLISTEN 8

struct initargs {
	const char *me;
	const char *bind;
	char port[NLISTEN][6];		/* "" = off */
};

/* index in listeners[] of the port name s[0..len), or exit 1 */
static size_t
port_name(const char *s, size_t len)
{
	size_t k;

	for (k = 0; listeners[k].name; k++)
		if (strlen(listeners[k].portname) == len &&
		    !memcmp(listeners[k].portname, s, len))
			return k;
	usage_fail("--ports: unknown service (smtp, submission, smtps, pop3, "
	    "pop3s)", NULL);
}

/* "off", 0 or 1..65535 from s[0..len) into out ("" = off), or exit 1 */
static void
port_value(const char *s, size_t len, char *out)
{
	unsigned long v = 0;
	size_t i;

	if (len == 3 && !memcmp(s, "off", 3)) {
		out[0] = 0;
		return;
	}
	if (!len || len > 5)
		usage_fail("--ports: port must be 1-65535 or off", NULL);
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			usage_fail("--ports: port must be 1-65535 or off",
			    NULL);
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		usage_fail("--ports: port must be 1-65535 or off", NULL);
	if (v == 0)
		out[0] = 0;
	else
		ulong_str(out, v);
}

/* "NAME=PORT,NAME=PORT..." */
static void
ports_parse(struct initargs *a, const char *spec)
{
	const char *p = spec;

	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', len);

		if (!eq)
			usage_fail("--ports: expected NAME=PORT", NULL);
		port_value(eq + 1, (size_t)(p + len - eq - 1),
		    a->port[port_name(p, (size_t)(eq - p))]);
		p += len;
		if (*p == ',' && !*++p)
			usage_fail("--ports: empty entry", NULL);
	}
}

static void
ports_distinct(const struct initargs *a)
{
	size_t i, j;

	for (i = 0; listeners[i].name; i++)
		for (j = i + 1; listeners[j].name; j++)
			if (a->port[i][0] && !strcmp(a->port[i], a->port[j]))
				usage_fail("--ports: port ", a->port[i],
				    " given twice", NULL);
}

static void
args_parse(struct initargs *a, int argc, char **argv)
{
	int i;
	size_t k;
	struct ipaddr ip;
	const char *ports = 0;

	memset(a, 0, sizeof *a);
	a->bind = "0.0.0.0";
	for (k = 0; listeners[k].name; k++)
		ulong_str(a->port[k], listeners[k].defport);
	for (i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage_fail("init: ", argv[i], " needs a value", NULL);
		if (!strcmp(argv[i], "--me"))
			a->me = argv[++i];
		else if (!strcmp(argv[i], "--ports"))
			ports = argv[++i];
		else if (!strcmp(argv[i], "--bind"))
			a->bind = argv[++i];
		else
			usage_fail("init: unknown option ", argv[i], NULL);
	}
	if (!a->me)
		usage_fail("init: --me HOSTNAME is required", NULL);
	if (domain_check(a->me))
		usage_fail("init: --me: ", domain_check(a->me), NULL);
	if (!ip_parse(a->bind, strlen(a->bind), &ip))
		usage_fail("init: --bind: not an IP address", NULL);
	if (ports)
		ports_parse(a, ports);
	ports_distinct(a);
}

static const char *const parts[] = { "control", "users", "queue", "service",
    "tls", "mail", "quota", "log", ".sluice-conf.lock", 0 };
static int root_made;		/* init created ROOT itself */

static void
refuse_existing(void)
{
	struct stat st;
	int i;

	for (i = 0; parts[i]; i++)
		if (lstat(ipath(parts[i]), &st) == 0)
			usage_fail("init: ", ipath(parts[i]), " exists: "
			    "refusing to overwrite an instance", NULL);
}

/* system users must be able to reach ROOT: warn about closed parents */
static void
warn_closed_parents(void)
{
	char *p = str_join("", instance_root()), *s;
	struct stat st;

	while ((s = strrchr(p, '/')) && s != p) {
		*s = 0;
		if (stat(p, &st) == 0 && !(st.st_mode & 01))
			log_line("warning: ", p, " is not searchable by "
			    "others; the system users cannot reach the "
			    "instance", NULL);
	}
}

/* BIN/sluice-queue, opened without following symlinks (so a planted
 * link cannot make another file setuid) before anything is created:
 * -1 when absent or in a single-uid instance */
static int
queue_open(const char *bin)
{
	char *q = str_join(bin, "/sluice-queue");
	struct stat st;
	int fd;

	if (!conf_multiuid)
		return -1;
	fd = open(q, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return -1;
	if (fd < 0 && errno == ELOOP)
		usage_fail("init: ", q, " is a symbolic link", NULL);
	if (fd < 0)
		sys_fail("unable to open ", q, NULL);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		usage_fail("init: ", q, " is not a regular file", NULL);
	return fd;
}

static void
queue_setuid(int fd)
{
	uid_t u;
	gid_t g;

	if (fd < 0)
		return;
	sys_user("sluiceq", &u, &g);
	if (fchown(fd, u, g) < 0 || fchmod(fd, 06711) < 0)
		sys_fail("unable to make sluice-queue setuid and setgid sluiceq", NULL);
	close(fd);
}

static void
tables_empty(void)
{
	static const struct ftype *const fresh[] = { &ft_domains, &ft_users,
	    &ft_aliases, &ft_routes, &ft_relay, 0 };
	struct table t;
	int i;

	for (i = 0; fresh[i]; i++) {
		table_load(&t, fresh[i]);
		table_save(&t);
	}
}

static void
listen_write(const struct initargs *a)
{
	stralloc s = {0};
	size_t k;

	for (k = 0; listeners[k].name; k++) {
		if (!a->port[k][0])
			continue;
		stralloc_need(stralloc_cats(&s, listeners[k].name));
		stralloc_need(stralloc_cats(&s, " "));
		stralloc_need(stralloc_cats(&s, a->bind));
		stralloc_need(stralloc_cats(&s, " "));
		stralloc_need(stralloc_cats(&s, a->port[k]));
		stralloc_need(stralloc_cats(&s, "\n"));
	}
	file_put(ipath("control/listen"), s.s, s.len, 0644, 0, 0);
	stralloc_free(&s);
}

static int
remove_entry(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* init failed half-way: remove what it made (none of it existed before,
 * refuse_existing saw to that), so it can simply be run again */
static void
init_undo(void)
{
	int i;

	for (i = 0; parts[i]; i++)
		nftw(ipath(parts[i]), remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (root_made)
		rmdir(instance_root());
}

static void
dirs_make(void)
{
	struct stat st;

	root_made = lstat(instance_root(), &st) < 0;
	dir_make(instance_root(), 0755, 0, 0);
	dir_make(ipath("control"), 0755, 0, 0);
	dir_make(ipath("users"), 0750, 0, "sluice");
	/* setgid: whatever creates inside it first, the group stays sluiceq */
	dir_make(ipath("queue"), conf_multiuid ? 02750 : 0750, "sluiceq", 0);
	dir_make(ipath("mail"), 0750, "sluicev", 0);
	/* quota notes: written by sluice-local, read by sluice-smtpd
	 * (setgid: the notes get group sluice) */
	dir_make(ipath("quota"), 02750, "sluicev", "sluice");
	dir_make(ipath("tls"), 0755, 0, 0);
}

int
cmd_init(int argc, char **argv)
{
	struct initargs a;
	const char *why;
	char *bin = bin_dir(), num[21], *me;
	int queue_fd;

	args_parse(&a, argc, argv);
	if (has_ctl(bin, strlen(bin)))
		usage_fail("init: control character in my own path", NULL);
	refuse_existing();
	queue_fd = queue_open(bin);
	on_failure(init_undo);
	if (conf_multiuid) {
		sysusers_create();
		warn_closed_parents();
	} else {
		buffer_putsflush(buffer_1, str_join(str_join(
		    "sluice-conf: not root: making a single-uid development "
		    "instance (everything runs as uid ",
		    ulong_str(num, (unsigned long)getuid())), ")\n"));
	}
	dirs_make();
	conf_lock();
	me = str_join(a.me, "\n");
	lower(me);
	file_put(ipath("control/me"), me, strlen(me), 0644, 0, 0);
	me[strlen(me) - 1] = 0;
	listen_write(&a);
	tables_empty();
	srssecret_make();
	why = tls_selfsigned(me, ipath("tls/cert.pem"),
	    ipath("tls/key.pem"));
	if (why)
		usage_fail("init: ", why, NULL);
	services_write(bin);
	queue_setuid(queue_fd);
	on_failure(0);
	return 0;
}
