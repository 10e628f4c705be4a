/*
 * trans.c -- process B of sluice-pop3d: the TRANSACTION and UPDATE
 * states (RFC 1939 5, 6) over the socket from the front process A.
 *
 * Runs as the mailbox owner, chrooted into the Maildir in a root
 * instance (cwd = the Maildir otherwise); may touch only that Maildir.
 * The first line it writes tells A whether the login stands: "+OK" or
 * "-ERR [IN-USE]" / "-ERR [SYS/TEMP]" (then B exits).  RETR and TOP
 * stream the file through a fixed buffer.  EOF from A (the client went
 * away) or a timeout ends the session without UPDATE: nothing is deleted.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "pop3d.h"
#include "mailbox.h"
#include "netio.h"
#include "sysutil.h"
#include "logmsg.h"

#define CHUNK 65536

struct session {
	const struct pop3conf *cf;
	const char *user;
	struct netio *n;
	struct mbox m;
	unsigned long bad, retrs, dels;
};

static struct netio io;
static char inbuf[CHUNK];
static char outbuf[2 * CHUNK + 8];

static void
reply(struct session *s, const char *a, const char *b, const char *c)
{
	netio_puts(s->n, a);
	if (b)
		netio_puts(s->n, b);
	if (c)
		netio_puts(s->n, c);
	netio_puts(s->n, "\r\n");
}

static void end_session(struct session *, const char *)
    __attribute__((noreturn));

static void
end_session(struct session *s, const char *how)
{
	char r[21], d[21];

	netio_flush(s->n);
	log_line("logout ", s->user, " ", s->cf->ip, " ", how, " retr ",
	    ulong_str(r, s->retrs), " dele ", ulong_str(d, s->dels), (char *)0);
	_exit(0);
}

static void
bad_command(struct session *s, const char *msg)
{
	reply(s, msg, 0, 0);
	if (++s->bad >= s->cf->maxbad) {
		reply(s, "-ERR too many bad commands, closing", 0, 0);
		end_session(s, "badcommands");
	}
}

/* message number from the client -> index, or -1 with the reply sent */
static long
msg_index(struct session *s, unsigned long num)
{
	if (num < 1 || num > s->m.n) {
		reply(s, "-ERR no such message", 0, 0);
		return -1;
	}
	if (s->m.msgs[num - 1].deleted) {
		reply(s, "-ERR message is deleted", 0, 0);
		return -1;
	}
	return (long)(num - 1);
}

static void
do_stat(struct session *s)
{
	unsigned long i, count = 0, octets = 0;
	char a[21], b[21];

	for (i = 0; i < s->m.n; i++)
		if (!s->m.msgs[i].deleted) {
			count++;
			octets += mbox_size(&s->m, i);
		}
	netio_puts(s->n, "+OK ");
	reply(s, ulong_str(a, count), " ", ulong_str(b, octets));
}

/* one "N VALUE" line of LIST or UIDL */
static void
listing_line(struct session *s, int uidl, unsigned long i, int ok)
{
	char num[21], val[72];

	if (ok)
		netio_puts(s->n, "+OK ");
	netio_puts(s->n, ulong_str(num, i + 1));
	netio_puts(s->n, " ");
	if (uidl) {
		const char *name = mbox_name(&s->m, i);

		pop3_uidl(name, maildir_name_unique(name, s->m.msgs[i].namelen),
		    val);
	} else
		ulong_str(val, mbox_size(&s->m, i));
	netio_puts(s->n, val);
	netio_puts(s->n, "\r\n");
}

static void
do_listing(struct session *s, const struct pop3_cmd *c, int uidl)
{
	unsigned long i;
	long k;

	if (c->nargs == 1) {
		if ((k = msg_index(s, c->num[0])) >= 0)
			listing_line(s, uidl, (unsigned long)k, 1);
		return;
	}
	netio_puts(s->n, "+OK listing follows\r\n");
	for (i = 0; i < s->m.n; i++)
		if (!s->m.msgs[i].deleted)
			listing_line(s, uidl, i, 0);
	netio_puts(s->n, ".\r\n");
}

/* stream message k (TOP: limited to lines body lines).  Maildir files
 * never change, so reading stops at the size fstat gave: no extra read
 * for the end of file. */
static void
send_message(struct session *s, unsigned long k, int limited,
    unsigned long lines)
{
	struct pop3_stuff st;
	char num[21];
	unsigned long left = 0;
	ssize_t r;
	size_t o;
	int fd = mbox_msg_open(&s->m, k, &left);

	if (fd < 0) {
		reply(s, errno == ENOENT ? "-ERR message was removed" :
		    "-ERR [SYS/TEMP] cannot read message", 0, 0);
		return;
	}
	/* the reply line, the message and the next replies share writes */
	if (limited)
		reply(s, "+OK top of message follows", 0, 0);
	else
		reply(s, "+OK ", ulong_str(num, mbox_size(&s->m, k)), " octets");
	pop3_stuff_init(&st, limited, lines);
	while (left > 0 && !st.done) {
		r = read(fd, inbuf, left < sizeof inbuf ? left : sizeof inbuf);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			log_line_sys("read error in ", mbox_name(&s->m, k),
			    (char *)0);
			/* a short message must not look complete: hang up,
			 * so the client neither keeps nor deletes it */
			end_session(s, "readerror");
		}
		left -= (unsigned long)r;
		o = pop3_stuff_chunk(&st, inbuf, (size_t)r, outbuf);
		if (netio_put(s->n, outbuf, o) < 0)
			end_session(s, "dropped");
	}
	close(fd);
	o = pop3_stuff_end(&st, outbuf);
	netio_put(s->n, outbuf, o);
	if (!limited)
		s->retrs++;
}

static void
do_retr_top(struct session *s, const struct pop3_cmd *c, int top)
{
	long k = msg_index(s, c->num[0]);

	if (k >= 0)
		send_message(s, (unsigned long)k, top, top ? c->num[1] : 0);
}

static void
do_dele(struct session *s, const struct pop3_cmd *c)
{
	long k = msg_index(s, c->num[0]);

	if (k < 0)
		return;
	s->m.msgs[k].deleted = 1;
	reply(s, "+OK message marked for deletion", 0, 0);
}

static void
do_rset(struct session *s)
{
	unsigned long i;

	for (i = 0; i < s->m.n; i++)
		s->m.msgs[i].deleted = 0;
	reply(s, "+OK", 0, 0);
}

static void
do_quit(struct session *s)
{
	unsigned long failed, removed;
	char n[21];

	failed = mbox_update(&s->m, &removed);
	s->dels = removed;
	mbox_unlock(&s->m);
	if (failed)
		reply(s, "-ERR [SYS/TEMP] some deleted messages not removed",
		    0, 0);
	else
		reply(s, "+OK bye, ", ulong_str(n, removed),
		    " messages deleted");
	end_session(s, "quit");
}

static void
dispatch(struct session *s, const char *line, size_t len)
{
	struct pop3_cmd c;

	switch (pop3_parse(line, len, POP3_ST_TRANS, &c)) {
	case PARSE_EMPTY:
	case PARSE_UNKNOWN:
		bad_command(s, "-ERR unknown command");
		return;
	case PARSE_BADARG:
		bad_command(s, "-ERR bad arguments");
		return;
	case PARSE_STATE:
		bad_command(s, "-ERR already logged in");
		return;
	}
	switch (c.id) {
	case CMD_STAT: do_stat(s); break;
	case CMD_LIST: do_listing(s, &c, 0); break;
	case CMD_UIDL: do_listing(s, &c, 1); break;
	case CMD_RETR: do_retr_top(s, &c, 0); break;
	case CMD_TOP: do_retr_top(s, &c, 1); break;
	case CMD_DELE: do_dele(s, &c); break;
	case CMD_RSET: do_rset(s); break;
	case CMD_NOOP: reply(s, "+OK", 0, 0); break;
	case CMD_QUIT: do_quit(s); break;
	case CMD_CAPA:
		netio_puts(s->n, "+OK capability list follows\r\n");
		netio_puts(s->n, pop3_capa_common);
		netio_puts(s->n, ".\r\n");
		break;
	default:
		bad_command(s, "-ERR already logged in");
		break;
	}
}

static void
greet(struct session *s)
{
	char n[21];

	switch (mbox_open(&s->m)) {
	case MBOX_OK:
		break;
	case MBOX_INUSE:
		log_line("in use ", s->user, " ", s->cf->ip, (char *)0);
		reply(s, "-ERR [IN-USE] mailbox in use by another session",
		    0, 0);
		netio_flush(s->n);
		_exit(0);
	default:
		reply(s, "-ERR [SYS/TEMP] mailbox unavailable, try later",
		    0, 0);
		netio_flush(s->n);
		_exit(111);
	}
	reply(s, "+OK mailbox ready, ", ulong_str(n, s->m.n), " messages");
}

void
mailbox_run(const struct pop3conf *cf, int sock, const char *user)
{
	struct session s;
	char line[POP3_LINE_MAX + 2];
	size_t len;
	int r;

	memset(&s, 0, sizeof s);
	s.cf = cf;
	s.user = user;
	s.n = &io;
	/* A keeps the client's idle timer; this one only guards against
	 * a stuck front */
	netio_init(&io, sock, sock, (unsigned int)cf->timeout + 60);
	greet(&s);
	for (;;) {
		if (netio_pending(&io) == 0 && netio_flush(&io) < 0)
			end_session(&s, "dropped");
		r = netio_getline(&io, line, sizeof line, &len);
		if (r == NETIO_TOOLONG) {
			bad_command(&s, "-ERR line too long");
			continue;
		}
		if (r != NETIO_OK)
			end_session(&s, "dropped");
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			len--;
		dispatch(&s, line, len);
	}
}
