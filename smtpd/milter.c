/*
 * milter.c -- offer a finished message to each milter (see milter.h):
 * sockets, timeouts, the conversation, and the edited message.
 */
#include "milter.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "logmsg.h"
#include "milterproto.h"
#include "netaddr.h"
#include "sysutil.h"

enum step { V_CONTINUE, V_ACCEPT, V_REJECT, V_TEMPFAIL, V_DISCARD, V_FAILED,
	V_SKIP };

/* one filter's conversation */
struct conv {
	const struct milter_session *ms;
	const char *spec;
	int fd;				/* the socket */
	int tcp;			/* 1 for inet: (TCP_QUICKACK) */
	unsigned long actions, protocol;	/* negotiated */
	stralloc out, in;
	struct mp_msg m;
	const char *why;		/* V_FAILED: what went wrong */
	char reply[520];		/* V_REJECT / V_TEMPFAIL */
};

/* the message being filtered: header fields in memory, the body in a file */
struct message {
	struct mp_header h;
	int bodyfd;			/* the body is bodyfd from bodyoff on */
	off_t bodyoff;
	int newbody;			/* bodyfd is ours (a replacement) */
	int changed;
};

static int
wait_fd(int fd, short ev, unsigned long secs)
{
	struct pollfd p = { fd, ev, 0 };
	int r;

	do
		r = poll(&p, 1, (int)(secs * 1000));
	while (r < 0 && errno == EINTR);
	if (r == 0)
		errno = ETIMEDOUT;
	return r > 0 ? 0 : -1;
}

static int
conv_connect(struct conv *c, const char *spec, size_t len)
{
	struct sockspec sp;
	struct sockaddr_storage sa;
	socklen_t salen;
	int err = 0;
	socklen_t elen = sizeof err;

	memset(&sa, 0, sizeof sa);
	if (!sockspec_parse(spec, len, &sp)) {
		c->why = "bad milter address";
		return -1;
	}
	if (sp.is_unix) {
		struct sockaddr_un *un = (struct sockaddr_un *)&sa;

		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, sp.path, strlen(sp.path) + 1);
		salen = sizeof *un;
	} else if (sp.hp.ip.family == 4) {
		struct sockaddr_in *in = (struct sockaddr_in *)&sa;

		in->sin_family = AF_INET;
		in->sin_port = htons((unsigned short)sp.hp.port);
		memcpy(&in->sin_addr, sp.hp.ip.a, 4);
		salen = sizeof *in;
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&sa;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((unsigned short)sp.hp.port);
		memcpy(&in6->sin6_addr, sp.hp.ip.a, 16);
		salen = sizeof *in6;
	}
	c->tcp = !sp.is_unix;
	c->fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		return -1;
	if (connect(c->fd, (struct sockaddr *)&sa, salen) < 0) {
		if (errno != EINPROGRESS)
			return -1;
		if (wait_fd(c->fd, POLLOUT, c->ms->timeout) < 0)
			return -1;
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
			return -1;
		if (err) {
			errno = err;
			return -1;
		}
	}
	return 0;
}

/* send what c->out holds */
static int
conv_flush(struct conv *c)
{
	size_t done = 0;

	while (done < c->out.len) {
		ssize_t w = write(c->fd, c->out.s + done, c->out.len - done);

		if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(c->fd, POLLOUT, c->ms->timeout) < 0)
				return -1;
			continue;
		}
		if (w <= 0)
			return -1;
		done += (size_t)w;
	}
	c->out.len = 0;
	return 0;
}

static int
read_exact(struct conv *c, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r;

		/*
		 * A filter often answers with several small packets (an added
		 * field, then "continue"), each its own write: under Nagle its
		 * second waits until the first is acknowledged, and we, having
		 * nothing to send, would delay that ACK by 40 ms per message.
		 * Quick ACKs (Linux turns them off again by itself, so every
		 * read asks anew; a unix: socket just says no).
		 */
		if (c->tcp)
			(void)setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &c->tcp,
			    sizeof c->tcp);
		r = read(c->fd, buf + got, len - got);

		if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(c->fd, POLLIN, c->ms->timeout) < 0)
				return -1;
			continue;
		}
		if (r <= 0) {
			if (r == 0)
				errno = ECONNRESET;
			return -1;
		}
		got += (size_t)r;
	}
	return 0;
}

/* read and parse one reply packet into c->m */
static int
conv_read(struct conv *c)
{
	unsigned char lb[4];
	unsigned long len;

	if (read_exact(c, (char *)lb, 4) < 0) {
		c->why = errno == ETIMEDOUT ? "milter timed out" :
		    "milter closed the connection";
		return -1;
	}
	len = (unsigned long)lb[0] << 24 | (unsigned long)lb[1] << 16 |
	    (unsigned long)lb[2] << 8 | lb[3];
	if (len == 0 || len > MILTER_PACKET_MAX) {
		c->why = "milter sent a packet of a bad size";
		return -1;
	}
	if (!stralloc_ready(&c->in, len))
		fatal_nomem(111);
	if (read_exact(c, c->in.s, len) < 0) {
		c->why = errno == ETIMEDOUT ? "milter timed out" :
		    "milter closed the connection";
		return -1;
	}
	c->in.len = len;
	if (mp_parse(c->in.s, len, &c->m) != MP_OK) {
		c->why = "milter sent garbage";
		return -1;
	}
	return 0;
}

static void
put_pkt(struct conv *c, char cmd, const char *data, size_t len)
{
	if (!mp_put(&c->out, cmd, data, len))
		fatal_nomem(111);
}

/* one "name\0value\0" pair appended to a macro packet's data */
static void
macro(stralloc *d, const char *name, const char *value)
{
	if (!stralloc_cats(d, name) || !stralloc_0(d) ||
	    !stralloc_cats(d, value) || !stralloc_0(d))
		fatal_nomem(111);
}

static void
put_macros(struct conv *c, char forcmd, stralloc *d)
{
	stralloc p = {0};

	if (!stralloc_append(&p, &forcmd) || !stralloc_cat(&p, d))
		fatal_nomem(111);
	put_pkt(c, 'D', p.s, p.len);
	stralloc_free(&p);
	d->len = 0;
}

/* the verdict of a reply outside end-of-message; -1 when it is not one */
static int
verdict(struct conv *c)
{
	const char *dflt = 0;

	switch (c->m.cmd) {
	case 'c':
		return V_CONTINUE;
	case 'a':
		return V_ACCEPT;
	case 'd':
		return V_DISCARD;
	case 'r':
		dflt = "550 5.7.1 Message rejected by a content filter";
		break;
	case 't':
		dflt = "451 4.7.1 Message deferred by a content filter; try again later";
		break;
	case 'y':
		memcpy(c->reply, c->m.value, c->m.valuelen);
		c->reply[c->m.valuelen] = 0;
		return c->reply[0] == '5' ? V_REJECT : V_TEMPFAIL;
	default:
		return -1;
	}
	strcpy(c->reply, dflt);
	return c->m.cmd == 'r' ? V_REJECT : V_TEMPFAIL;
}

/* read the answer to one step, waiting through "progress"; a "skip"
 * (no more body) counts only where skip_ok */
static int
answer(struct conv *c, int skip_ok)
{
	int v, n;

	for (n = 0; n <= MILTER_PROGRESS_MAX; n++) {
		if (conv_read(c) < 0)
			return V_FAILED;
		if (c->m.cmd == 'p')
			continue;
		if (skip_ok && c->m.cmd == 's')
			return V_SKIP;
		if ((v = verdict(c)) >= 0)
			return v;
		c->why = "milter answered out of turn";
		return V_FAILED;
	}
	c->why = "milter kept saying progress";
	return V_FAILED;
}

/* send, then (unless the filter said it will not answer) read the answer */
static int
step(struct conv *c, unsigned long noreply)
{
	if (conv_flush(c) < 0) {
		c->why = "cannot write to milter";
		return V_FAILED;
	}
	if (c->protocol & noreply)
		return V_CONTINUE;
	return answer(c, 0);
}

static int
negotiate(struct conv *c)
{
	stralloc d = {0};

	if (!mp_put32(&d, MILTER_VERSION) || !mp_put32(&d, MILTER_ACTIONS) ||
	    !mp_put32(&d, MILTER_PROTOCOL))
		fatal_nomem(111);
	put_pkt(c, 'O', d.s, d.len);
	stralloc_free(&d);
	if (conv_flush(c) < 0) {
		c->why = "cannot write to milter";
		return -1;
	}
	if (conv_read(c) < 0)
		return -1;
	if (c->m.cmd != 'O' || c->m.version < 2 || c->m.version > MILTER_VERSION) {
		c->why = "milter failed the option negotiation";
		return -1;
	}
	/* what we did not offer it cannot have */
	c->actions = c->m.actions & MILTER_ACTIONS;
	c->protocol = c->m.protocol & MILTER_PROTOCOL;
	return 0;
}

static int
envelope_steps(struct conv *c)
{
	const struct milter_session *ms = c->ms;
	stralloc d = {0}, mac = {0};
	size_t pos = 0;
	int v = V_CONTINUE;
	char fam = strchr(ms->ip, ':') ? '6' : '4';

	if (!(c->protocol & SMFIP_NOCONNECT)) {
		macro(&mac, "j", ms->me);
		macro(&mac, "{daemon_name}", "sluice-smtpd");
		macro(&mac, "{client_addr}", ms->ip);
		macro(&mac, "{client_name}", ms->ip);
		put_macros(c, 'C', &mac);
		if (!stralloc_copys(&d, "[") || !stralloc_cats(&d, ms->ip) ||
		    !stralloc_cats(&d, "]") || !stralloc_0(&d) ||
		    !stralloc_append(&d, &fam) || !stralloc_catb(&d, "\0\0", 2) ||
		    !stralloc_cats(&d, ms->ip) || !stralloc_0(&d))
			fatal_nomem(111);
		put_pkt(c, 'C', d.s, d.len);
		v = step(c, SMFIP_NR_CONN);
	}
	if (v == V_CONTINUE && !(c->protocol & SMFIP_NOHELO) && *ms->helo) {
		if (*ms->tlsversion)
			macro(&mac, "{tls_version}", ms->tlsversion);
		if (mac.len)
			put_macros(c, 'H', &mac);
		put_pkt(c, 'H', ms->helo, strlen(ms->helo) + 1);
		v = step(c, SMFIP_NR_HELO);
	}
	/* the envelope: "F" sender, then "T" recipients, each NUL-ended */
	while (v == V_CONTINUE && pos < ms->envlen && ms->env[pos]) {
		const char *a = ms->env + pos + 1;
		size_t alen = strlen(a);
		int mail = ms->env[pos] == 'F';

		pos += alen + 2;
		if (c->protocol & (mail ? SMFIP_NOMAIL : SMFIP_NORCPT))
			continue;
		macro(&mac, mail ? "{mail_addr}" : "{rcpt_addr}", a);
		if (mail && *ms->authuser)
			macro(&mac, "{auth_authen}", ms->authuser);
		put_macros(c, mail ? 'M' : 'R', &mac);
		if (!stralloc_copys(&d, "<") || !stralloc_catb(&d, a, alen) ||
		    !stralloc_cats(&d, ">") || !stralloc_0(&d))
			fatal_nomem(111);
		put_pkt(c, mail ? 'M' : 'R', d.s, d.len);
		v = step(c, mail ? SMFIP_NR_MAIL : SMFIP_NR_RCPT);
	}
	if (v == V_CONTINUE && !(c->protocol & SMFIP_NODATA)) {
		put_pkt(c, 'T', "", 0);
		v = step(c, SMFIP_NR_DATA);
	}
	stralloc_free(&d);
	stralloc_free(&mac);
	return v;
}

static int
header_steps(struct conv *c, const struct message *msg)
{
	stralloc d = {0};
	size_t i;
	int v = V_CONTINUE;

	for (i = 0; v == V_CONTINUE && !(c->protocol & SMFIP_NOHDRS) &&
	    i < msg->h.n; i++) {
		const struct mp_field *f = &msg->h.f[i];
		const char *val;
		size_t vlen;

		if (!f->namelen)
			continue;
		mp_field_value(f, &val, &vlen);
		d.len = 0;
		if (!stralloc_catb(&d, f->text.s, f->namelen) || !stralloc_0(&d) ||
		    !stralloc_catb(&d, val, vlen) || !stralloc_0(&d))
			fatal_nomem(111);
		put_pkt(c, 'L', d.s, d.len);
		v = step(c, SMFIP_NR_HDR);
	}
	stralloc_free(&d);
	if (v == V_CONTINUE && !(c->protocol & SMFIP_NOEOH)) {
		put_pkt(c, 'N', "", 0);
		v = step(c, SMFIP_NR_EOH);
	}
	return v;
}

/* the body with CRLF line ends, in chunks; a "skip" ends it early */
static int
body_steps(struct conv *c, const struct message *msg)
{
	static char in[MILTER_CHUNK / 2];
	stralloc chunk = {0};
	off_t off = msg->bodyoff;
	int v = V_CONTINUE;

	if (c->protocol & SMFIP_NOBODY)
		return V_CONTINUE;
	while (v == V_CONTINUE) {
		ssize_t r = pread(msg->bodyfd, in, sizeof in, off);
		ssize_t i;

		if (r < 0) {
			c->why = "cannot read the message";
			v = V_FAILED;
			break;
		}
		if (r == 0)
			break;
		off += r;
		chunk.len = 0;
		for (i = 0; i < r; i++)
			if ((in[i] == '\n' && !stralloc_append(&chunk, "\r")) ||
			    !stralloc_append(&chunk, &in[i]))
				fatal_nomem(111);
		put_pkt(c, 'B', chunk.s, chunk.len);
		if (conv_flush(c) < 0) {
			c->why = "cannot write to milter";
			v = V_FAILED;
		} else if (!(c->protocol & SMFIP_NR_BODY)) {
			v = answer(c, 1);
			if (v == V_SKIP) {
				v = V_CONTINUE;
				break;
			}
		}
	}
	stralloc_free(&chunk);
	return v;
}

/* a replacement body chunk: CRLF (and a lone CR) become LF */
static int
replace_body(struct conv *c, struct message *msg, stralloc *nb)
{
	size_t i;

	if (!(c->actions & SMFIF_CHGBODY)) {
		c->why = "milter replaced the body without asking";
		return -1;
	}
	for (i = 0; i < c->m.valuelen; i++) {
		char ch = c->m.value[i];

		if (ch == '\r' && i + 1 < c->m.valuelen && c->m.value[i + 1] == '\n')
			continue;
		if (ch == '\r')
			ch = '\n';
		if (ch == 0) {
			c->why = "milter put a NUL in the body";
			return -1;
		}
		if (!stralloc_append(nb, &ch))
			fatal_nomem(111);
	}
	if (nb->len > c->ms->maxbody) {
		c->why = "milter's body is too big";
		return -1;
	}
	msg->changed = 1;
	return 0;
}

static int
edit_header(struct conv *c, struct message *msg)
{
	unsigned long need = c->m.cmd == 'h' ? SMFIF_ADDHDRS : SMFIF_CHGHDRS;
	int r;

	if (c->m.cmd == 'i')
		need = SMFIF_ADDHDRS;
	if (!(c->actions & need)) {
		c->why = "milter changed the header without asking";
		return -1;
	}
	r = mp_header_edit(&msg->h, &c->m);
	if (r < 0)
		fatal_nomem(111);
	if (r == 0) {
		c->why = "milter sent a bad header field";
		return -1;
	}
	msg->changed = 1;
	return 0;
}

/* end of message: edits, then the verdict.  nb collects a new body. */
static int
end_of_message(struct conv *c, struct message *msg, stralloc *nb,
    int *body_replaced)
{
	int n = 0, v;

	put_pkt(c, 'E', "", 0);
	if (conv_flush(c) < 0) {
		c->why = "cannot write to milter";
		return V_FAILED;
	}
	for (;;) {
		if (conv_read(c) < 0)
			return V_FAILED;
		switch (c->m.cmd) {
		case 'p':
			if (++n > MILTER_PROGRESS_MAX) {
				c->why = "milter kept saying progress";
				return V_FAILED;
			}
			continue;
		case 'h': case 'i': case 'm':
			if (edit_header(c, msg) < 0)
				return V_FAILED;
			continue;
		case 'b':
			*body_replaced = 1;
			if (replace_body(c, msg, nb) < 0)
				return V_FAILED;
			continue;
		case 'q':
			log_lineb("milter quarantine request (ignored): ",
			    c->m.value, c->m.valuelen, "");
			continue;
		}
		if ((v = verdict(c)) >= 0)
			return v;
		c->why = "milter sent an edit that was not offered";
		return V_FAILED;
	}
}

static void
log_verdict(const char *spec, size_t len, int v, const struct conv *c)
{
	static const char *const what[] = { 0, "accepted", "rejected",
	    "deferred", "discarded" };
	char name[1025];

	if (v == V_CONTINUE)
		return;
	if (len >= sizeof name)
		len = sizeof name - 1;
	memcpy(name, spec, len);
	name[len] = 0;
	if (v == V_FAILED)
		log_line("milter ", name, " failed: ", c->why, NULL);
	else if (v == V_REJECT || v == V_TEMPFAIL)
		log_line("milter ", name, " ", what[v], " the message: ",
		    c->reply, NULL);
	else
		log_line("milter ", name, " ", what[v], " the message", NULL);
}

/* a memfd holding data */
static int
memfd_of(const char *data, size_t len)
{
	int fd = memfd_create("sluice-milter", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (write_all(fd, data, len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
one_filter(const struct milter_session *ms, const char *spec, size_t len,
    struct message *msg, char *reply)
{
	struct conv c;
	stralloc nb = {0};
	int v, replaced = 0;

	memset(&c, 0, sizeof c);
	c.ms = ms;
	c.spec = spec;
	c.fd = -1;
	if (conv_connect(&c, spec, len) < 0) {
		if (!c.why)
			c.why = errno == ETIMEDOUT ? "cannot connect to milter: timeout" :
			    "cannot connect to milter";
		v = V_FAILED;
	} else if (negotiate(&c) < 0) {
		v = V_FAILED;
	} else {
		v = envelope_steps(&c);
		if (v == V_CONTINUE)
			v = header_steps(&c, msg);
		if (v == V_CONTINUE)
			v = body_steps(&c, msg);
		if (v == V_CONTINUE)
			v = end_of_message(&c, msg, &nb, &replaced);
	}
	if (v != V_FAILED && c.fd >= 0) {
		put_pkt(&c, 'Q', "", 0);
		(void)conv_flush(&c);
	}
	if (c.fd >= 0)
		close(c.fd);
	if (replaced && v != V_FAILED) {
		int fd = memfd_of(nb.s, nb.len);

		if (fd < 0) {
			c.why = "cannot keep the new body";
			v = V_FAILED;
		} else {
			if (msg->newbody)
				close(msg->bodyfd);
			msg->bodyfd = fd;
			msg->bodyoff = 0;
			msg->newbody = 1;
		}
	}
	stralloc_free(&nb);
	stralloc_free(&c.out);
	stralloc_free(&c.in);
	log_verdict(spec, len, v, &c);
	if (v == V_REJECT || v == V_TEMPFAIL)
		strcpy(reply, c.reply);
	return v;
}

/* read the header section of fd into msg; the body starts after it */
static int
message_load(struct message *msg, int fd, unsigned long size)
{
	size_t len = size < MILTER_HDR_MAX ? size : MILTER_HDR_MAX, end = 0;
	char *p = mmap(0, len ? len : 1, PROT_READ, MAP_PRIVATE, fd, 0);
	int ok;

	if (p == MAP_FAILED)
		return -1;
	while (end < len && !(p[end] == '\n' && (end == 0 || p[end - 1] == '\n')))
		end++;
	if (end >= len && size > MILTER_HDR_MAX) {
		munmap(p, len ? len : 1);
		return -1;
	}
	ok = mp_header_load(&msg->h, p, end < len ? end : len);
	munmap(p, len ? len : 1);
	msg->bodyfd = fd;
	msg->bodyoff = end < len ? (off_t)end + 1 : (off_t)len;
	return ok ? 0 : -1;
}

/* the edited message into a new memfd */
static int
message_write(struct message *msg)
{
	int fd = memfd_create("sluice-milter", MFD_CLOEXEC);
	char buf[65536];
	off_t off = msg->bodyoff;
	size_t i;

	if (fd < 0)
		return -1;
	for (i = 0; i < msg->h.n; i++)
		if (write_all(fd, msg->h.f[i].text.s, msg->h.f[i].text.len) < 0)
			goto fail;
	if (write_all(fd, "\n", 1) < 0)
		goto fail;
	for (;;) {
		ssize_t r = pread(msg->bodyfd, buf, sizeof buf, off);

		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		off += r;
		if (write_all(fd, buf, (size_t)r) < 0)
			goto fail;
	}
	if (lseek(fd, 0, SEEK_SET) < 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

enum milter_verdict
milter_filter(const struct milter_session *ms, int *fd, unsigned long size,
    char *reply)
{
	struct message msg;
	const char *p = ms->specs;
	enum milter_verdict out = MILTER_PASS;
	int v = V_CONTINUE;

	memset(&msg, 0, sizeof msg);
	if (message_load(&msg, *fd, size) < 0) {
		log_line("milter: cannot read the message's header section", NULL);
		v = V_FAILED;
	}
	while (v != V_FAILED && *p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		struct mp_header before = { 0, 0, 0 };
		int changed = msg.changed;

		/* a filter that fails is skipped with milterfail accept: the
		 * header fields it edited before it failed go back as they were
		 * (a new body is kept aside until the filter ends well) */
		if (ms->fail_accept && !mp_header_copy(&before, &msg.h))
			fatal_nomem(111);
		v = one_filter(ms, p, len, &msg, reply);
		p += len + (comma ? 1 : 0);
		if (v == V_FAILED && ms->fail_accept) {
			mp_header_free(&msg.h);
			msg.h = before;
			msg.changed = changed;
			v = V_CONTINUE;
			continue;
		}
		mp_header_free(&before);
		if (v != V_CONTINUE && v != V_ACCEPT)
			break;
	}
	switch (v) {
	case V_FAILED:
		strcpy(reply, "451 4.7.1 Content filter unavailable; try again later");
		out = MILTER_REJECT;
		break;
	case V_REJECT:
	case V_TEMPFAIL:
		out = MILTER_REJECT;
		break;
	case V_DISCARD:
		out = MILTER_DISCARD;
		break;
	default:
		if (msg.changed) {
			int nfd = message_write(&msg);

			if (nfd < 0) {
				strcpy(reply, "451 4.3.0 Cannot keep the filtered message; try again later");
				out = MILTER_REJECT;
			} else {
				close(*fd);
				*fd = nfd;
			}
		}
	}
	if (msg.newbody)
		close(msg.bodyfd);
	mp_header_free(&msg.h);
	return out;
}
