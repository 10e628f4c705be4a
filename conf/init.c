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
 * directories.  A port given as "off" (or 0) gets no service; imap,
 * imaps and webmail (Dovecot and Roundcube, conf/apps.c) are off unless
 * given.  The listeners can be changed later (conf/ports.c).  When init
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

struct initargs {
	const char *me;
	struct portset ps;	/* bind address and ports ("" = off) */
};

static void
args_parse(struct initargs *a, int argc, char **argv)
{
	int i;
	const char *ports = 0;

	memset(a, 0, sizeof *a);
	ports_defaults(&a->ps);
	for (i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage_fail("init: ", argv[i], " needs a value", NULL);
		if (!strcmp(argv[i], "--me"))
			a->me = argv[++i];
		else if (!strcmp(argv[i], "--ports"))
			ports = argv[++i];
		else if (!strcmp(argv[i], "--bind"))
			a->ps.bind = argv[++i];
		else
			usage_fail("init: unknown option ", argv[i], NULL);
	}
	if (!a->me)
		usage_fail("init: --me HOSTNAME is required", NULL);
	if (domain_check(a->me))
		usage_fail("init: --me: ", domain_check(a->me), NULL);
	ports_bind_check("init: --bind", a->ps.bind);
	if (ports)
		ports_parse(&a->ps, "--ports", ports);
	ports_distinct(&a->ps, "--ports");
	apps_validate(&a->ps);
}

static const char *const parts[] = { "control", "users", "queue", "service",
    "tls", "mail", "quota", "log", "imap", "webmail", "run",
    ".sluice-conf.lock", 0 };
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
	dir_make(ipath("quota"), conf_multiuid ? 02750 : 0750, "sluicev",
	    "sluice");
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
	listen_write(&a.ps);
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
