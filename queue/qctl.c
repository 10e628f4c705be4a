/*
 * sluice-qctl -- tell the running queue manager what to do, through the
 * trigger FIFO ROOT/queue/trigger (see manager/send-main.c):
 *
 *   sluice-qctl flush [ID...]       retry deferred recipients now (all,
 *   sluice-qctl flush -d DOMAIN     or these messages, or those at DOMAIN)
 *   sluice-qctl hold ID...          deliver nothing of them until released
 *   sluice-qctl release ID...       (a hold is journaled: it outlives restarts)
 *   sluice-qctl delete ID...        cancel the messages (no bounce)
 *   sluice-qctl delete -d DOMAIN    cancel the recipients at DOMAIN only
 *   sluice-qctl delete -f SENDER    cancel every message from SENDER
 *   sluice-qctl bounce ID...        give up on the messages now and bounce
 *   sluice-qctl rescan              look for messages the manager missed
 *
 * -d and -f read the queue files (mess/) to find the messages, print
 * how many they matched, and send one line per message.  Run as root or
 * in group sluiceq.  Exit 0 when the request was handed over (the
 * manager logs what it did), 1 for bad usage or an unknown id, 111 when
 * the manager is not running or the FIFO cannot be written.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <stralloc.h>

#include "exitcodes.h"
#include "logmsg.h"
#include "qfile.h"
#include "qlayout.h"
#include "qscan.h"
#include "qtool.h"
#include "sysutil.h"

static stralloc req;		/* the trigger lines; static: reachable */

static void __attribute__((noreturn))
usage(void)
{
	fatal(EX_SL_USAGE, "usage: sluice-qctl flush [ID...] | flush -d DOMAIN"
	    " | hold ID... | release ID... | delete ID... | delete -d DOMAIN"
	    " | delete -f SENDER | bounce ID... | rescan", NULL);
}

static void
add_line(char cmd, const char *id, const char *domain)
{
	if (!stralloc_append(&req, &cmd) || !stralloc_cats(&req, " ") ||
	    !stralloc_cats(&req, id) || (domain && (!stralloc_cats(&req, " ")
	    || !stralloc_cats(&req, domain))) || !stralloc_cats(&req, "\n"))
		fatal_nomem(EX_SL_TEMP);
}

static void
add_ids(char cmd, char **ids)
{
	stralloc path = {0};

	if (!*ids)
		usage();
	for (; *ids; ids++) {
		if ((*ids)[0] == '-')
			usage();
		if (!qf_id_valid(*ids))
			fatal(EX_SL_USAGE, "fatal: not a queue id: ", *ids, NULL);
		if (!qf_mess_path(&path, *ids))
			fatal_nomem(EX_SL_TEMP);
		if (access(path.s, F_OK))
			fatal(EX_SL_USAGE, "fatal: no such message: ", *ids,
			    NULL);
		add_line(cmd, *ids, 0);
	}
	stralloc_free(&path);
}

struct select {
	char cmd;
	const char *domain;	/* lower case, or 0 */
	const char *sender;	/* or 0 */
	unsigned long n;
};

/* a recipient still to be delivered (pending or deferred) at domain */
static int
open_rcpt(const struct qf_rcpt *r, const char *domain)
{
	const char *at = strrchr(r->addr, '@');

	return !r->state && at &&
	    !strcasecmp(at + 1, domain);
}

static void
select_one(const char *id, void *ctx)
{
	struct select *s = ctx;
	struct qmsg m;
	size_t i;
	int hit = 0;

	if (!qtool_load(id, &m))
		return;
	if (s->sender)
		hit = !strcasecmp(m.q.sender, s->sender);
	else
		for (i = 0; i < m.q.nrcpt && !hit; i++)
			hit = open_rcpt(&m.q.r[i], s->domain);
	if (hit) {
		add_line(s->cmd, id, s->domain);
		s->n++;
	}
	qtool_free(&m);
}

/* a domain as given on the command line, checked and lower-cased */
static const char *
domain_arg(char *d)
{
	char *p;

	if (!*d || strlen(d) > 255)
		fatal(EX_SL_USAGE, "fatal: not a domain: ", d, NULL);
	for (p = d; *p; p++) {
		if (*p <= ' ' || *p > '~' || *p == '@')
			fatal(EX_SL_USAGE, "fatal: not a domain: ", d, NULL);
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	}
	return d;
}

/* "-d DOMAIN" or "-f SENDER" (the null sender as "" or "<>") */
static void
add_selected(char cmd, char **args, int allow_sender)
{
	struct select s = { cmd, 0, 0, 0 };
	char num[24];

	if (!args[0] || !args[1] || args[2])
		usage();
	if (!strcmp(args[0], "-d"))
		s.domain = domain_arg(args[1]);
	else if (!strcmp(args[0], "-f") && allow_sender) {
		s.sender = !strcmp(args[1], "<>") ? "" : args[1];
		if (strlen(s.sender) > QF_ADDR_MAX)
			fatal(EX_SL_USAGE, "fatal: sender too long", NULL);
	} else
		usage();
	qscan_ids(select_one, &s);
	printf("%s messages matched\n", ulong_str(num, s.n));
	fflush(stdout);
}

/* whole lines, at most PIPE_BUF bytes per write, so that lines of two
 * writers never mix */
static void
send_request(void)
{
	size_t pos = 0;
	int fd;

	/* a FIFO, opened without following a link (qlayout.h) */
	fd = qlayout_trigger_open();
	if (fd == QL_ODD)
		fatal(EX_SL_TEMP, "fatal: the trigger is not a FIFO (a symbolic "
		    "link?): refusing to write to it", NULL);
	if (fd < 0)
		fatal_sys(EX_SL_TEMP, errno == ENXIO ? "fatal: the queue "
		    "manager is not running" : "fatal: cannot open the trigger",
		    NULL);
	/* blocking from now on: a long request waits for the manager */
	if (fcntl(fd, F_SETFL, 0) < 0)
		fatal_sys(EX_SL_TEMP, "fatal: cannot use the trigger", NULL);
	while (pos < req.len) {
		size_t n = req.len - pos;

		if (n > PIPE_BUF) {
			n = PIPE_BUF;
			while (n && req.s[pos + n - 1] != '\n')
				n--;
		}
		if (!n || write_all(fd, req.s + pos, n))
			fatal_sys(EX_SL_TEMP, "fatal: cannot write the trigger",
			    NULL);
		pos += n;
	}
	close(fd);
}

int
main(int argc, char **argv)
{
	const char *c;

	log_init("sluice-qctl");
	if (argc < 2)
		usage();
	c = argv[1];
	if (strcmp(c, "flush") && strcmp(c, "rescan") && strcmp(c, "hold") &&
	    strcmp(c, "release") && strcmp(c, "delete") && strcmp(c, "bounce"))
		usage();
	qtool_enter();
	if (!strcmp(c, "flush") && argc == 2)
		stralloc_copys(&req, "F\n");
	else if (!strcmp(c, "flush") && !strcmp(argv[2], "-d"))
		add_selected('F', argv + 2, 0);
	else if (!strcmp(c, "flush"))
		add_ids('F', argv + 2);
	else if (!strcmp(c, "rescan") && argc == 2)
		stralloc_copys(&req, "S\n");
	else if (!strcmp(c, "hold"))
		add_ids('H', argv + 2);
	else if (!strcmp(c, "release"))
		add_ids('R', argv + 2);
	else if (!strcmp(c, "delete") && argc > 2 && argv[2][0] == '-')
		add_selected('X', argv + 2, 1);
	else if (!strcmp(c, "delete"))
		add_ids('X', argv + 2);
	else if (!strcmp(c, "bounce"))
		add_ids('D', argv + 2);
	else
		usage();
	if (req.len)
		send_request();
	return 0;
}
