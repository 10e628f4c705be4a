/*
 * envelope.c -- MAIL and RCPT: the sender, the recipients, and the
 * recipient policy of sluice-smtpd.
 *
 * Recipients in local domains (domains.cdb) are resolved at RCPT time
 * with the same resolver local delivery uses, so an unknown user is
 * refused now (550 5.1.1) and never bounced later; postmaster is always
 * taken.  Other domains are relayed only for an authenticated client,
 * RELAYCLIENT, or an IP in control/relay; otherwise 554 5.7.1.  Lookup
 * errors are temporary (451), never a guess.
 */
#include <string.h>
#include <strings.h>
#include <time.h>

#include "abuse.h"
#include "logmsg.h"
#include "quotanote.h"
#include "relaydom.h"
#include "senderok.h"
#include "smtpcmd.h"
#include "smtpd.h"
#include "userdb.h"

_Static_assert(RCPT_TEXT_MAX >= ADDR_PATH_MAX + 3, "a parsed path fits");

void
txn_reset(struct smtpd *s)
{
	message_abort(s);
	s->env.len = 0;
	s->nrcpt = 0;
	s->msgsize = 0;
	s->utf8 = 0;
	s->sender[0] = 0;
	s->rcpt1[0] = 0;
}

static void
log_refusal(struct smtpd *s, const char *what, const char *addr,
    const char *why)
{
	log_line("refused ", what, " ip=", s->ip, " from=<", s->sender,
	    "> to=<", addr ? addr : "", "> ", why, NULL);
}

/* reply for a parser error, or NULL */
static const char *
path_error(int r, int is_mail)
{
	switch (r) {
	case SP_OK:
		return 0;
	case SP_ADDR:
		return is_mail ? "501 5.1.7 Bad sender address syntax" :
		    "501 5.1.3 Bad recipient address syntax";
	case SP_PARAM:
		return "555 5.5.4 Unsupported parameter";
	case SP_PARAMSYNTAX:
		return "501 5.5.4 Bad parameter value";
	default:
		return is_mail ? "501 5.5.4 Syntax: MAIL FROM:<address>" :
		    "501 5.5.4 Syntax: RCPT TO:<address>";
	}
}

static int
env_add(struct smtpd *s, char tag, const char *addr)
{
	if (!stralloc_append(&s->env, &tag) || !stralloc_cats(&s->env, addr) ||
	    !stralloc_0(&s->env))
		fatal_nomem(111);
	return 1;
}

/* NULL to accept the sender in s->sender, or the refusal */
static const char *
mail_policy(struct smtpd *s)
{
	const char *err;

	if (s->authed) {
		switch (sender_allowed(s->authuser, s->sender, s->delims.s)) {
		case 1:
			break;
		case 0:
			return "553 5.7.1 Sender address not owned by the authenticated user";
		default:
			return "451 4.3.0 Temporary lookup failure; try again later";
		}
	}
	if ((err = limits_mail(s)))
		return err;
	return dnsbl_refusal(s);
}

void
cmd_mail(struct smtpd *s, const char *arg, size_t len)
{
	struct smtp_path p;
	const char *err;

	if (s->mode == MODE_SUBMISSION && !s->authed) {
		reply_bad(s, s->tls ? "530 5.7.0 Authentication required" :
		    "530 5.7.0 Must issue a STARTTLS command first");
		return;
	}
	err = path_error(smtp_path_parse(arg, len, 1, ADDR_NULL_OK, &p), 1);
	if (err) {
		reply_bad(s, err);
		return;
	}
	if (p.addr.is_utf8 && !p.smtputf8) {
		reply_bad(s, "553 5.6.7 Non-ASCII address needs SMTPUTF8");
		return;
	}
	if (p.has_size && p.size > s->lim.databytes) {
		reply(s, "552 5.3.4 Message size exceeds fixed limit");
		return;
	}
	txn_reset(s);
	addr_format(&p.addr, s->sender);
	if (s->mode == MODE_LOCAL)	/* the caller sends, whatever it says */
		strcpy(s->sender, s->localsender);
	if ((err = mail_policy(s))) {
		log_refusal(s, "mail", 0, err);
		reply(s, err);
		s->sender[0] = 0;
		return;
	}
	env_add(s, 'F', s->sender);
	s->utf8 = p.smtputf8;
	s->msgsize = p.has_size ? p.size : 0;
	s->state = ST_MAIL;
	reply(s, "250 2.1.0 Ok");
}

/* a mailbox that local delivery found full (its quota note, fresh and
 * for the quota users.cdb has now): refuse for now rather than accept
 * and bounce later to a sender that may be forged */
static int
mailbox_full(struct smtpd *s, const struct resolved *res)
{
	struct quotanote n;
	time_t now = time(0);

	if (!res->user.quota || quotanote_read(res->key, &n) != 1 ||
	    n.quota != res->user.quota || n.mtime > now ||
	    now - n.mtime >= QUOTANOTE_FRESH)
		return 0;
	return n.full || n.used >= n.quota ||
	    (s->msgsize && n.used + s->msgsize > n.quota);
}

/* NULL to accept, or the refusal */
static const char *
rcpt_policy(struct smtpd *s, const struct addr *a)
{
	struct resolved res;
	int r;

	if (s->mode == MODE_LOCAL)	/* as `sendmail RCPT`: no lookups */
		return 0;
	if (!a->is_literal) {
		r = domain_local(a->domain, a->domain_len, 0);
		if (r < 0)
			return "451 4.3.0 Temporary lookup failure; try again later";
		if (r == 1) {
			memset(&res, 0, sizeof res);
			r = local_resolve(a->local, a->domain, s->delims.s, &res);
			stralloc_free(&res.targets);
			if (r < 0)
				return "451 4.3.0 Temporary lookup failure; try again later";
			if (res.kind == RES_NONE)
				return "550 5.1.1 Recipient address rejected: user unknown";
			if (res.kind == RES_USER && mailbox_full(s, &res))
				return "452 4.2.2 Mailbox full; try again later";
			return 0;
		}
	}
	if (!a->is_literal) {
		switch (relay_domain(a->local, a->domain, s->delims.s)) {
		case RD_ACCEPT:
			return 0;
		case RD_UNKNOWN:
			return "550 5.1.1 Recipient address rejected: user unknown";
		case RD_ERROR:
			return "451 4.3.0 Temporary lookup failure; try again later";
		}
	}
	if (s->authed || s->relayclient)
		return 0;
	return "554 5.7.1 Relay access denied";
}

/* <Postmaster> without a domain is postmaster@me; me may be as long as
 * a domain can be, which makes the address longer than a parsed path.
 * 1 done, 0 it does not fit (cannot happen with me within ME_MAX). */
static int
postmaster_me(struct smtpd *s, char *out, size_t max)
{
	static const char pm[] = "postmaster@";
	size_t mlen = strnlen(s->me, sizeof s->me);

	if (mlen == sizeof s->me || sizeof pm + mlen > max)
		return 0;
	memcpy(out, pm, sizeof pm - 1);
	memcpy(out + sizeof pm - 1, s->me, mlen);
	out[sizeof pm - 1 + mlen] = 0;
	return 1;
}

void
cmd_rcpt(struct smtpd *s, const char *arg, size_t len)
{
	struct smtp_path p;
	char addr[RCPT_TEXT_MAX];
	const char *err;

	err = path_error(smtp_path_parse(arg, len, 0, ADDR_LOCAL_OK, &p), 0);
	if (err) {
		reply_bad(s, err);
		return;
	}
	if (s->nrcpt >= s->lim.maxrcpt) {
		reply(s, "452 4.5.3 Too many recipients");
		return;
	}
	if (p.addr.is_utf8 && !s->utf8) {
		reply_bad(s, "553 5.6.7 Non-ASCII address needs SMTPUTF8");
		return;
	}
	if (!p.addr.has_domain) {
		/* RFC 5321 4.5.1: <Postmaster> without a domain */
		if (strcasecmp(p.addr.local, "postmaster")) {
			reply_bad(s, "501 5.1.3 Recipient address needs a domain");
			return;
		}
		if (!postmaster_me(s, addr, sizeof addr)) {
			reply(s, "451 4.3.0 Cannot form postmaster's address; try again later");
			return;
		}
	} else {
		addr_format(&p.addr, addr);
		err = rcpt_policy(s, &p.addr);
		if (err) {
			log_refusal(s, "rcpt", addr, err);
			/* guessing addresses counts against the client */
			if (err[0] == '5')
				reply_bad(s, err);
			else
				reply(s, err);
			return;
		}
	}
	env_add(s, 'T', addr);
	if (!s->nrcpt++)
		memcpy(s->rcpt1, addr, strlen(addr) + 1);	/* both RCPT_TEXT_MAX */
	s->state = ST_RCPT;
	reply(s, "250 2.1.5 Ok");
}
