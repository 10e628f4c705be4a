/*
 * dovecot.c -- IMAP for the instance, served by Dovecot (Debian's
 * dovecot-imapd) with a configuration of its own under ROOT, never
 * /etc/dovecot, so a system Dovecot may run beside it:
 *
 *   ROOT/imap/dovecot.conf     written here from control/listen
 *   ROOT/imap/local.conf       the administrator's, included last if present
 *   ROOT/run/imap/             base_dir (sockets, master.pid)
 *   ROOT/imap/state/           state_dir
 *   ROOT/service/imapd/run     dovecot -F -c ROOT/imap/dovecot.conf
 *   ROOT/log/imapd/            its log, through multilog
 *
 * Users and passwords are sluice's: Dovecot asks sluice-checkpassword
 * (imap/checkpw.c), which reads users.cdb at every login, so user add,
 * passwd and del take effect at once.  Mailboxes are HOME/Maildir, the
 * Maildir sluice-local delivers into and sluice-pop3d reads, opened with
 * the uid and gid of users.cdb (first_valid_uid and last_valid_uid allow
 * only sluicev's), with Maildir++ quota (maildirsize) as sluice-local
 * keeps it.  Login only over TLS (STARTTLS on imap, implicit on imaps)
 * with the instance certificate; failed logins wait auth_failure_delay.
 *
 * In a root instance Dovecot's own processes run as its package users
 * (dovecot, and dovenull for the network-facing login processes); the
 * auth process also gets the group sluice so that sluice-checkpassword
 * can read users.cdb.  In a development instance everything runs as the
 * caller.
 */
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "conf.h"
#include "control.h"
#include "logmsg.h"

#define CONF_REL "imap/dovecot.conf"

static void
listener_block(stralloc *sa, const char *name, const char *lname, int ssl)
{
	char *ip, *port;

	if (!listen_get(lname, &ip, &port)) {
		cats_all(sa, "  inet_listener ", name, " {\n    port = 0\n  }\n",
		    NULL);
		return;
	}
	cats_all(sa, "  inet_listener ", name, " {\n    address = ", ip,
	    "\n    port = ", port, "\n", ssl ? "    ssl = yes\n" : "", "  }\n",
	    NULL);
}

static void
users_part(stralloc *sa)
{
	uid_t uid;
	gid_t gid;
	char u[21], g[21];
	struct passwd *me;
	struct group *grp;

	sys_user("sluicev", &uid, &gid);
	ulong_str(u, uid);
	ulong_str(g, gid);
	cats_all(sa, "# mail processes only as the owner of the mailboxes\n"
	    "first_valid_uid = ", u, "\nlast_valid_uid = ", u,
	    "\nfirst_valid_gid = ", g, "\nlast_valid_gid = ", g, "\n", NULL);
	if (conf_multiuid) {
		cats_all(sa, "default_internal_user = dovecot\n"
		    "default_login_user = dovenull\n"
		    "# sluice-checkpassword reads users.cdb (group sluice)\n"
		    "service auth {\n  extra_groups = sluice\n}\n", NULL);
		return;
	}
	me = getpwuid(getuid());
	if (!me)
		usage_fail("imap: cannot find my own user name", NULL);
	grp = getgrgid(getgid());
	if (!grp)
		usage_fail("imap: cannot find my own group name", NULL);
	cats_all(sa, "# development instance: everything as ", me->pw_name,
	    "\ndefault_internal_user = ", me->pw_name,
	    "\ndefault_internal_group = ", grp->gr_name,
	    "\ndefault_login_user = ", me->pw_name, NULL);
	cats_all(sa, "\nservice anvil {\n  chroot =\n}\n", NULL);
}

static void
conf_text(stralloc *sa, const char *bin)
{
	char *ip, *port;
	const char *addr = "127.0.0.1";

	if (listen_get("imapd", &ip, &port) || listen_get("imaps", &ip, &port))
		addr = ip;
	sa->len = 0;
	cats_all(sa, "# Dovecot for the sluice instance ", instance_root(),
	    "\n# Written by sluice-conf (init, ports, bind): edits are lost."
	    "\n# Run by ROOT/service/imapd: dovecot -F -c this file.\n"
	    "protocols = imap\nlisten = ", addr, "\n"
	    "instance_name = sluice-imap\n"
	    "base_dir = ", ipath("run/imap"), "\n"
	    "state_dir = ", ipath("imap/state"), "\n"
	    "log_path = /dev/stderr\nlog_timestamp =\n"
	    "import_environment = TZ SLUICE_ROOT=", instance_root(), "\n"
	    "ssl = required\nssl_cert = <", ipath("tls/cert.pem"), "\n"
	    "ssl_key = <", ipath("tls/key.pem"), "\n"
	    "ssl_min_protocol = TLSv1.2\nssl_prefer_server_ciphers = yes\n"
	    "disable_plaintext_auth = yes\nauth_mechanisms = plain login\n"
	    "auth_failure_delay = 2 secs\nauth_verbose = yes\n"
	    "login_greeting = sluice IMAP ready.\n"
	    "login_log_format_elements = user=<%u> method=%m rip=%r lip=%l "
	    "%c session=<%{session}>\n"
	    "passdb {\n  driver = checkpassword\n  args = ", bin,
	    "/sluice-checkpassword\n}\n"
	    "userdb {\n  driver = prefetch\n}\n"
	    "mail_location = maildir:~/Maildir\nmail_fsync = always\n"
	    "mail_max_userip_connections = 20\nmail_plugins = quota\n"
	    "namespace inbox {\n  inbox = yes\n  separator = /\n"
	    "  mailbox Drafts {\n    special_use = \\Drafts\n"
	    "    auto = subscribe\n  }\n"
	    "  mailbox Sent {\n    special_use = \\Sent\n"
	    "    auto = subscribe\n  }\n"
	    "  mailbox Trash {\n    special_use = \\Trash\n"
	    "    auto = subscribe\n  }\n"
	    "  mailbox Junk {\n    special_use = \\Junk\n"
	    "    auto = subscribe\n  }\n}\n"
	    "plugin {\n  quota = maildir:User quota\n}\n"
	    "protocol imap {\n  mail_plugins = $mail_plugins imap_quota\n}\n"
	    "service imap-login {\n", NULL);
	listener_block(sa, "imap", "imapd", 0);
	listener_block(sa, "imaps", "imaps", 1);
	cats_all(sa, conf_multiuid ? "" : "  chroot =\n", "}\n", NULL);
	users_part(sa);
	cats_all(sa, "# settings of your own, kept when sluice-conf rewrites this "
	    "file:\n!include_try ", ipath("imap/local.conf"), "\n", NULL);
}

void
dovecot_write(const char *bin)
{
	stralloc sa = {0};

	dir_make(ipath("imap"), 0755, 0, 0);
	dir_make(ipath("imap/state"), 0750, 0, 0);
	dir_make(ipath("run"), 0755, 0, 0);
	conf_text(&sa, bin);
	file_put(ipath(CONF_REL), sa.s, sa.len, 0644, 0, 0);
	app_run_head(&sa, "IMAP and IMAPS, served by Dovecot", bin);
	cats_all(&sa, "if ! command -v dovecot >/dev/null; then\n"
	    "\techo 'imapd: dovecot is not installed (apt-get install "
	    "dovecot-imapd)'\n\tsleep 5\n\texit 111\nfi\n"
	    "exec dovecot -F -c \"$ROOT/" CONF_REL "\"\n", NULL);
	service_make("imapd", &sa);
	stralloc_free(&sa);
}

const char *
dovecot_check(void)
{
	struct stat st;
	stralloc want = {0}, have = {0};
	int same;

	if (access("/usr/sbin/dovecot", X_OK) < 0 ||
	    access("/usr/lib/dovecot/imap", X_OK) < 0)
		return "imap is on but Dovecot is missing "
		    "(apt-get install dovecot-imapd)";
	if (access("/usr/lib/dovecot/checkpassword-reply", X_OK) < 0)
		return "imap is on but /usr/lib/dovecot/checkpassword-reply "
		    "is missing (apt-get install dovecot-core)";
	if (conf_multiuid && (!getpwnam("dovecot") || !getpwnam("dovenull")))
		return "imap is on but the users dovecot and dovenull are "
		    "missing (apt-get install dovecot-core)";
	if (access(str_join(bin_dir(), "/sluice-checkpassword"), X_OK) < 0)
		return str_join(bin_dir(), "/sluice-checkpassword: missing");
	if (stat(ipath(CONF_REL), &st) < 0)
		return str_join(ipath(CONF_REL), ": missing (sluice-conf bind "
		    "or ports rewrites it)");
	conf_text(&want, bin_dir());
	file_get(ipath(CONF_REL), &have, 1);
	same = want.len == have.len && !memcmp(want.s, have.s, want.len);
	stralloc_free(&want);
	stralloc_free(&have);
	if (!same)
		return str_join(ipath(CONF_REL), ": differs from what "
		    "control/listen says (sluice-conf bind or ports rewrites "
		    "it)");
	return 0;
}

void
dovecot_systemd(const char *dir)
{
	app_unit(dir, "imapd", "IMAP and IMAPS (Dovecot)", 0);
}
