/*
 * sysusers.c -- the system users and groups of a multi-uid instance
 * (HACKING.md "Users and privileges"), and running code under their ids.
 *
 * sysusers_create() runs as root and calls groupadd/useradd --system
 * (no login shell, no home directory); it is idempotent, and safe against
 * another sluice-conf creating the same users at the same moment (a host
 * lock, and a second look after a failed useradd).  In a single-uid
 * instance every "system user" is the caller.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/wait.h>

#include "conf.h"
#include "sysutil.h"
#include "logmsg.h"

#define NOLOGIN "/usr/sbin/nologin"
#define SHARED_GROUP "sluice"

static const char *const groups[] = {
	"sluiced", "sluiceq", "sluicer", "sluicev", "sluicel", "sluicew",
	SHARED_GROUP, 0
};

static const struct {
	const char *name, *group, *extra, *gecos;
} users[] = {
	{ "sluiced", "sluiced", SHARED_GROUP, "sluice network servers" },
	{ "sluiceq", "sluiceq", 0, "sluice queue" },
	{ "sluices", "sluiceq", 0, "sluice queue manager" },
	{ "sluicer", "sluicer", 0, "sluice remote delivery" },
	{ "sluicev", "sluicev", SHARED_GROUP, "sluice virtual mailboxes" },
	{ "sluicel", "sluicel", 0, "sluice logs" },
	{ "sluicew", "sluicew", 0, "sluice webmail (Roundcube, nginx workers)" },
	{ 0, 0, 0, 0 }
};

static int
run(char *const argv[])
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		sys_fail("unable to fork", NULL);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		if (fd >= 0) {	/* their chatter is not ours: a failure */
			dup2(fd, 1);	/* is reported in one line by us */
			dup2(fd, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			sys_fail("unable to wait for ", argv[0], NULL);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static const char *
sbin(const char *prog)
{
	const char *p = str_join("/usr/sbin/", prog);

	return access(p, X_OK) == 0 ? p : str_join("/sbin/", prog);
}

static int
in_group(const char *user, const char *group)
{
	struct group *g = getgrnam(group);
	char **m;

	if (!g)
		return 0;
	for (m = g->gr_mem; *m; m++)
		if (!strcmp(*m, user))
			return 1;
	return 0;
}

static void
group_make(const char *name)
{
	char *argv[] = { (char *)sbin("groupadd"), "--system", (char *)name,
	    0 };

	if (getgrnam(name))
		return;
	if (run(argv) != 0 && !getgrnam(name))
		usage_fail("groupadd ", name, " failed", NULL);
}

static void
user_make(const char *name, const char *group, const char *extra,
    const char *gecos)
{
	char *add[] = { (char *)sbin("useradd"), "--system", "--gid",
	    (char *)group, "--home-dir", "/nonexistent", "--no-create-home",
	    "--shell", NOLOGIN, "--comment", (char *)gecos, (char *)name,
	    0, 0, 0 };
	char *mod[] = { (char *)sbin("usermod"), "--append", "--groups",
	    (char *)extra, (char *)name, 0 };

	if (!getpwnam(name)) {
		if (extra) {	/* --groups EXTRA before the name */
			add[11] = "--groups";
			add[12] = (char *)extra;
			add[13] = (char *)name;
		}
		if (run(add) != 0 && !getpwnam(name))
			usage_fail("useradd ", name, " failed", NULL);
	}
	if (extra && !in_group(name, extra) && run(mod) != 0)
		usage_fail("usermod ", name, " failed", NULL);
}

void
sysusers_create(void)
{
	int fd, i;

	/* another sluice-conf may be adding the same users right now */
	fd = open("/run/lock/sluice-conf.users", O_RDWR | O_CREAT | O_CLOEXEC,
	    0600);
	if (fd >= 0)
		flock(fd, LOCK_EX);
	for (i = 0; groups[i]; i++)
		group_make(groups[i]);
	for (i = 0; users[i].name; i++)
		user_make(users[i].name, users[i].group, users[i].extra,
		    users[i].gecos);
	if (fd >= 0)
		close(fd);
}

void
sys_user(const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd *p;

	if (!conf_multiuid) {
		*uid = getuid();
		*gid = getgid();
		return;
	}
	errno = 0;
	p = getpwnam(name);
	if (!p)
		usage_fail("system user ", name,
		    " is missing (sluice-conf init as root creates it)", NULL);
	*uid = p->pw_uid;
	*gid = p->pw_gid;
}

gid_t
sys_group(const char *name)
{
	struct group *g;

	if (!conf_multiuid)
		return getgid();
	g = getgrnam(name);
	if (!g)
		usage_fail("system group ", name,
		    " is missing (sluice-conf init as root creates it)", NULL);
	return g->gr_gid;
}

void
as_user(const char *name, void (*f)(void *), void *arg)
{
	uid_t uid;
	gid_t gid;

	if (!conf_multiuid) {
		f(arg);
		return;
	}
	sys_user(name, &uid, &gid);
	if (setegid(gid) < 0 || seteuid(uid) < 0)
		sys_fail("unable to become ", name, NULL);
	f(arg);
	if (seteuid(0) < 0 || setegid(0) < 0)
		sys_fail("unable to switch back to root", NULL);
}

/* "UID:GID:G1,G2,..." of a system user, for SLUICE_DROP_IDS (sysutil.h) */
char *
drop_ids(const char *name)
{
	char buf[1024];
	int r = priv_ids_text(name, buf, sizeof buf);

	if (r == 0)
		usage_fail("system user ", name,
		    " is missing (sluice-conf init as root creates it)", NULL);
	if (r < 0)
		sys_fail("unable to look up the groups of ", name, NULL);
	return str_join(buf, "");
}
