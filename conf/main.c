/*
 * main.c -- sluice-conf: create and configure a sluice instance.
 *
 *   sluice-conf [-d ROOT] COMMAND ...    (ROOT: -d, else $SLUICE_ROOT,
 *                                         else /var/sluice)
 *
 * Runs as root for a multi-uid instance (system users, owners, setuid
 * queue) or as the instance owner for a single-uid development instance.
 * It touches only files under ROOT (plus, at init as root, the system
 * users and BIN/sluice-queue's mode).  Changing commands hold an instance
 * lock, so concurrent runs never lose each other's changes.
 * Exit 0 done, 1 refused (one line on stderr, nothing changed), 111
 * system trouble.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <buffer.h>

#include "conf.h"
#include "control.h"
#include "exitcodes.h"
#include "logmsg.h"

static const char usage_text[] =
    "usage: sluice-conf [-d ROOT] COMMAND ...\n"
    "  init --me HOSTNAME [--ports smtp=25,submission=587,smtps=465,"
    "pop3=110,pop3s=995,imap=off,imaps=off,webmail=off] [--bind IP]\n"
    "       [--postmaster ADDRESS]   (mail for root, postmaster... at me)\n"
    "  ports NAME=PORT|off[,...]   change listeners (names as in --ports)\n"
    "  bind IP        listen on another address\n"
    "  domain add DOMAIN [programs] | del DOMAIN | list\n"
    "  user add ADDRESS [--quota BYTES] [--nologin] | passwd ADDRESS |\n"
    "       quota ADDRESS BYTES | info ADDRESS | del ADDRESS | list [DOMAIN]\n"
    "      (the password is read as one line from stdin)\n"
    "  auth test ADDRESS   check a password (stdin) as the servers do\n"
    "  alias add ADDRESS TARGET... | del ADDRESS [TARGET...] | list [DOMAIN]\n"
    "      (ADDRESS may be @DOMAIN for a catch-all, or postmaster)\n"
    "  route add DOMAIN HOST[:PORT] [OPTION...] | del DOMAIN | list"
    "   (DOMAIN . = smarthost)\n"
    "  relay add CIDR | del CIDR | list\n"
    "  remoteauth add HOST USER | del HOST | list   (password on stdin)\n"
    "  sender add|del USER ADDRESS|@DOMAIN | list [USER]\n"
    "      (what an authenticated user may use as MAIL FROM besides its own\n"
    "      address, its +extensions and the aliases that deliver to it)\n"
    "  relaydomain add DOMAIN [recipients] | del DOMAIN | list\n"
    "  relayrcpt add|del ADDRESS | list   (valid recipients of a relay domain\n"
    "      added with \"recipients\")\n"
    "  set KEY VALUE | unset KEY | get KEY\n"
    "  show           every setting that differs from its default\n"
    "  check          validate every file of the instance\n"
    "  rebuild        recompile every cdb from its text source\n"
    "  systemd [--dir DIR]   write systemd units (default ROOT/systemd)\n"
    "  dkim add DOMAIN | rotate DOMAIN | del DOMAIN [SELECTOR] | list\n"
    "  dns DOMAIN     the DNS records DOMAIN needs (MX, SPF, DKIM, DMARC, SRV)\n"
    "  help [settings]\n";

struct command {
	const char *name;
	int (*run)(int, char **);
	int changes;		/* takes the lock */
	int needs_instance;
};

static const struct command commands[] = {
	{ "init", cmd_init, 0, 0 },
	{ "ports", cmd_ports, 1, 1 },
	{ "bind", cmd_bind, 1, 1 },
	{ "domain", cmd_domain, 1, 1 },
	{ "user", cmd_user, 1, 1 },
	{ "alias", cmd_alias, 1, 1 },
	{ "route", cmd_route, 1, 1 },
	{ "relay", cmd_relay, 1, 1 },
	{ "remoteauth", cmd_remoteauth, 1, 1 },
	{ "sender", cmd_sender, 1, 1 },
	{ "relaydomain", cmd_relaydomain, 1, 1 },
	{ "relayrcpt", cmd_relayrcpt, 1, 1 },
	{ "set", cmd_set, 1, 1 },
	{ "unset", cmd_unset, 1, 1 },
	{ "get", cmd_get, 0, 1 },
	{ "show", cmd_show, 0, 1 },
	{ "auth", cmd_auth, 0, 1 },
	{ "check", cmd_check, 1, 1 },
	{ "rebuild", cmd_rebuild, 1, 1 },
	{ "systemd", cmd_systemd, 0, 1 },
	{ "dkim", cmd_dkim, 1, 1 },
	{ "dns", cmd_dns, 0, 1 },
	{ "help", cmd_help, 0, 0 },
	{ 0, 0, 0, 0 }
};

int
cmd_help(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "settings")) {
		settings_help();
		return 0;
	}
	if (argc != 1)
		usage_fail("usage: sluice-conf help [settings]", NULL);
	buffer_puts(buffer_1, usage_text);
	buffer_flush(buffer_1);
	return 0;
}

/* the instance root as an absolute path without control characters */
static void
root_set(const char *arg)
{
	char cwd[PATH_MAX];
	const char *r = arg;

	if (!*r)
		usage_fail("-d: empty instance root", NULL);
	if (r[0] != '/') {
		if (!getcwd(cwd, sizeof cwd))
			sys_fail("unable to find the current directory", NULL);
		r = str_join(str_join(cwd, "/"), r);
	}
	if (has_ctl(r, strlen(r)) || strlen(r) > 512)
		usage_fail("-d: instance root must be printable and at most "
		    "512 bytes", NULL);
	while (strlen(r) > 1 && r[strlen(r) - 1] == '/') {
		char *t = str_join("", r);
		t[strlen(t) - 1] = 0;
		r = t;
	}
	instance_set_root(r);
}

/* LeakSanitizer (make asan): libowfat's cdb_make_finish never frees its
 * hash tables, and lib/atomicfile's cdbw_finish does not release them */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:cdb_make_finish\nleak:cdb_make_addend\n";
}

const char *__lsan_default_options(void);
const char *
__lsan_default_options(void)
{
	return "print_suppressions=0";
}

int
main(int argc, char **argv)
{
	const struct command *c;
	int i = 1;

	log_init("sluice-conf");
	umask(022);
	atexit(arena_release);
	conf_multiuid = geteuid() == 0;
	if (argc == 2 && !strcmp(argv[1], "-d"))
		usage_fail("-d needs the instance root", NULL);
	if (argc > 2 && !strcmp(argv[1], "-d")) {
		root_set(argv[2]);
		i = 3;
	} else {
		root_set(instance_root());
	}
	if (i >= argc) {
		buffer_puts(buffer_2, usage_text);
		buffer_flush(buffer_2);
		return EX_SL_USAGE;
	}
	for (c = commands; c->name; c++)
		if (!strcmp(c->name, argv[i]))
			break;
	if (!c->name)
		usage_fail("unknown command ", argv[i],
		    " (sluice-conf help lists them)", NULL);
	if (c->needs_instance)
		instance_require();
	if (c->changes)
		conf_lock();
	return c->run(argc - i, argv + i);
}
