/*
 * dsn.c -- see dsn.h.  The text we put in header-like fields is already
 * printable ASCII (the journal guarantees it); addresses are written as
 * they are in the envelope, which refuses control characters.
 */
#include <string.h>


#include "dsn.h"
#include "../queue/qfile.h"
#include "rfcdate.h"

#define DIAG_MAX	900	/* keep every field line under 998 octets */

static int
cat(stralloc *o, const char *s)
{
	return stralloc_cats(o, s);
}

/* split "5.1.1 host[1.2.3.4] said: text" into its parts */
static void
split_status(const char *st, char *code, size_t codemax, const char **host,
    size_t *hostlen, const char **text)
{
	const char *sp, *said;
	size_t n;

	*host = 0;
	*hostlen = 0;
	if (!st)
		st = "5.0.0 unknown failure";
	sp = strchr(st, ' ');
	n = sp ? (size_t)(sp - st) : strlen(st);
	if (n >= codemax)
		n = codemax - 1;
	memcpy(code, st, n);
	code[n] = 0;
	*text = sp ? sp + 1 : "";
	said = strstr(*text, "] said: ");
	if (said) {
		const char *br = memchr(*text, '[', (size_t)(said - *text));

		if (br && br > *text && !memchr(*text, ' ',
		    (size_t)(br - *text))) {
			*host = *text;
			*hostlen = (size_t)(br - *text);
		}
	}
}

static int
diag(stralloc *o, const char *text)
{
	size_t len = strlen(text);

	if (len > DIAG_MAX)
		len = DIAG_MAX;
	return stralloc_catb(o, text, len);
}

/* what of the original the report returns */
enum dsn_return { RET_WHOLE, RET_HEADERS, RET_CUT };

static int
human_part(stralloc *o, const struct dsn_info *in, const struct dsn_rcpt *r,
    size_t n, size_t shown, enum dsn_return ret)
{
	size_t i;

	char date[RFCDATE_LEN];

	if (!cat(o, "Content-Type: text/plain; charset=us-ascii\n\n"
	    "This is the mail system at ") || !cat(o, in->me) ||
	    !cat(o, ".\n\nYour message (queue id ") || !cat(o, in->qid))
		return 0;
	if (in->delayed) {
		if (!cat(o, ") could not be delivered yet to the following\n"
		    "recipients.  This is only a warning: it stays in the "
		    "queue and\ndelivery will be tried again") ||
		    (in->retry_until && (!cat(o, " until\n") ||
		    !cat(o, rfc_date(date, (time_t)in->retry_until)))) ||
		    !cat(o, ".\nYou do not need to send it again.\n\n"))
			return 0;
	} else if (!cat(o, ") could not be delivered to the following\n"
	    "recipients.  This is a permanent error; no further attempts\n"
	    "will be made.\n\n"))
		return 0;
	for (i = 0; i < shown; i++) {
		char code[16];
		const char *host, *text;
		size_t hl;

		split_status(r[i].status, code, sizeof code, &host, &hl, &text);
		if (!cat(o, "<") || !cat(o, r[i].addr) || !cat(o, ">:\n    ") ||
		    !diag(o, text) || !cat(o, code[0] == '4' && !in->delayed ?
		    " (gave up: the message was too long in the queue)\n\n" :
		    "\n\n"))
			return 0;
	}
	if (shown < n && (!qf_catnum(o, n - shown) ||
	    !cat(o, " more recipients failed as well; they are not listed,\n"
	    "to keep this report within the size limit.\n\n")))
		return 0;
	if (ret == RET_CUT && !cat(o, "Your message is too big to be returned "
	    "with this report: only its\nheaders are attached below, and "
	    "they may be cut short.\n\n"))
		return 0;
	return 1;
}

static int
status_part(stralloc *o, const struct dsn_info *in, const struct dsn_rcpt *r,
    size_t n)
{
	/* n: the recipients listed */
	char date[RFCDATE_LEN];
	size_t i;

	if (!cat(o, "Content-Type: message/delivery-status\n\n"
	    "Reporting-MTA: dns; ") || !cat(o, in->me) ||
	    !cat(o, "\nX-Sluice-Queue-ID: ") || !cat(o, in->qid) ||
	    !cat(o, "\nArrival-Date: ") ||
	    !cat(o, rfc_date(date, (time_t)in->arrival)) || !cat(o, "\n"))
		return 0;
	for (i = 0; i < n; i++) {
		char code[16];
		const char *host, *text;
		size_t hl;

		split_status(r[i].status, code, sizeof code, &host, &hl, &text);
		if (!cat(o, "\nFinal-Recipient: rfc822; ") ||
		    !cat(o, r[i].addr) || !cat(o, in->delayed ?
		    "\nAction: delayed\nStatus: " : "\nAction: failed\nStatus: ") ||
		    !cat(o, code) || !cat(o, "\n"))
			return 0;
		if (in->delayed && in->retry_until &&
		    (!cat(o, "Will-Retry-Until: ") ||
		    !cat(o, rfc_date(date, (time_t)in->retry_until)) ||
		    !cat(o, "\n")))
			return 0;
		if (host && (!cat(o, "Remote-MTA: dns; ") ||
		    !stralloc_catb(o, host, hl) || !cat(o, "\n")))
			return 0;
		if (!cat(o, host ? "Diagnostic-Code: smtp; " :
		    "Diagnostic-Code: x-sluice; ") || !diag(o, host ?
		    strstr(text, "] said: ") + 8 : text) ||
		    !cat(o, "\nLast-Attempt-Date: ") ||
		    !cat(o, rfc_date(date, (time_t)in->now)) || !cat(o, "\n"))
			return 0;
	}
	return 1;
}

/* the original without CR and NUL octets (they could only come from a
 * queue file written before sluice-queue refused them) */
static int
cat_clean(stralloc *o, const char *s, size_t len)
{
	size_t i, from = 0;

	for (i = 0; i < len; i++)
		if (s[i] == '\r' || s[i] == 0) {
			if (!stralloc_catb(o, s + from, i - from))
				return 0;
			from = i + 1;
		}
	return stralloc_catb(o, s + from, len - from);
}

/* length of the header block of orig (through the empty line), cut to
 * whole lines */
static size_t
header_len(const char *orig, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++)
		if (orig[i] == '\n' && orig[i + 1] == '\n')
			return i + 1;
	while (len && orig[len - 1] != '\n')
		len--;
	return len;
}

/* orig[0..len): the whole message (RET_WHOLE) or its headers */
static int
original_part(stralloc *o, const char *orig, size_t len, enum dsn_return ret)
{
	if (ret == RET_WHOLE) {
		if (!cat(o, "Content-Type: message/rfc822\n\n") ||
		    !cat_clean(o, orig, len))
			return 0;
		return len && orig[len - 1] != '\n' ? cat(o, "\n") : 1;
	}
	return cat(o, "Content-Type: text/rfc822-headers\n\n") &&
	    cat_clean(o, orig, len);
}

static int
compose(stralloc *o, const struct dsn_info *in, const struct dsn_rcpt *r,
    size_t n, size_t shown, const char *orig, size_t origlen,
    enum dsn_return ret)
{
	char date[RFCDATE_LEN];
	stralloc b = {0};
	int ok;

	/* the boundary holds the queue id and a "=_" no header line has */
	ok = stralloc_copys(&b, "=_sluice_") && cat(&b, in->qid) &&
	    qf_catnum(&b, in->now) && stralloc_0(&b);
	ok = ok && cat(o, "From: Mail Delivery System <") &&
	    cat(o, in->from) && cat(o, ">\nTo: <") && cat(o, in->to) &&
	    cat(o, in->delayed ? ">\nSubject: Delayed Mail (still being "
	    "retried)\nDate: " : ">\nSubject: Undelivered Mail Returned to "
	    "Sender\nDate: ") &&
	    cat(o, rfc_date(date, (time_t)in->now)) &&
	    cat(o, "\nMessage-ID: <") && cat(o, in->qid) &&
	    cat(o, in->delayed ? ".delay." : ".bounce.") &&
	    qf_catnum(o, in->now) &&
	    cat(o, "@") && cat(o, in->me) &&
	    cat(o, ">\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/report; report-type=delivery-status;\n"
	    "\tboundary=\"") && cat(o, b.s) &&
	    cat(o, "\"\n\nThis is a MIME-encapsulated message.\n\n--") &&
	    cat(o, b.s) && cat(o, "\n") && human_part(o, in, r, n, shown, ret) &&
	    cat(o, "--") && cat(o, b.s) && cat(o, "\n") &&
	    status_part(o, in, r, shown) &&
	    cat(o, "\n--") && cat(o, b.s) && cat(o, "\n") &&
	    original_part(o, orig, origlen, ret) &&
	    cat(o, "\n--") && cat(o, b.s) && cat(o, "--\n");
	stralloc_free(&b);
	return ok;
}

int
dsn_compose(stralloc *o, const struct dsn_info *in, const struct dsn_rcpt *r,
    size_t n, const char *orig, size_t origlen, int whole)
{
	size_t start = o->len, hlen = header_len(orig, origlen), shown = n;
	size_t base, cut;

	if (!compose(o, in, r, n, n, orig, whole ? origlen : hlen,
	    whole ? RET_WHOLE : RET_HEADERS))
		return 0;
	if (!in->max || o->len - start <= in->max)
		return 1;
	/* too big: the headers only, then fewer recipients listed, until
	 * what is left without the headers fits */
	for (;;) {
		o->len = start;
		if (!compose(o, in, r, n, shown, orig, 0, RET_CUT))
			return 0;
		base = o->len - start;
		if (base <= in->max || shown <= 1)
			break;
		shown /= 2;
	}
	cut = base < in->max ? in->max - base : 0;
	if (cut >= hlen)
		cut = hlen;
	else
		while (cut && orig[cut - 1] != '\n')
			cut--;
	o->len = start;
	return compose(o, in, r, n, shown, orig, cut, RET_CUT);
}
