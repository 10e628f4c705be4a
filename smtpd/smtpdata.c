/*
 * smtpdata.c -- the DATA/BDAT state machine (smtpdata.h).  One pass over
 * the input, one octet at a time, with a handful of states:
 *   BOL    at the start of a line (after CRLF)
 *   DOT    a "." at the start of a line
 *   DOTCR  ".\r" at the start of a line: LF now ends the data
 *   MID    inside a line (or after a bare LF, which starts no line)
 *   CR     a CR inside a line: only LF may follow
 */
#include "smtpdata.h"

enum { S_BOL, S_DOT, S_DOTCR, S_MID, S_CR };

static const char received[] = "received:";

void
smtp_data_init(struct smtp_data *d, int binary)
{
	d->state = S_BOL;
	d->binary = binary;
	d->done = 0;
	d->err = 0;
	d->linelen = 0;
	d->size = 0;
	d->in_headers = 1;
	d->hdr_pos = 0;
	d->received = 0;
	d->last_lf = 1;
}

static void
watch_header(struct smtp_data *d, char c)
{
	char l = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;

	if (d->hdr_pos < 0)
		return;
	if (l != received[d->hdr_pos]) {
		d->hdr_pos = -1;
		return;
	}
	if (++d->hdr_pos == (int)sizeof received - 1) {
		d->received++;
		d->hdr_pos = -1;
	}
}

static void
emit(struct smtp_data *d, char *out, size_t *o, char c)
{
	out[(*o)++] = c;
	d->size++;
	d->last_lf = (c == '\n');
	if (c != '\n')
		watch_header(d, c);
}

/* the LF of a CRLF: a new line starts */
static void
line_end(struct smtp_data *d, char *out, size_t *o)
{
	if (d->linelen == 2)		/* the empty line ends the header */
		d->in_headers = 0;
	emit(d, out, o, '\n');
	d->linelen = 0;
	d->hdr_pos = d->in_headers ? 0 : -1;
	d->state = S_BOL;
}

/* a bare LF: flagged, written, but it starts no line */
static void
bare_lf(struct smtp_data *d, char *out, size_t *o)
{
	d->err |= DATA_EBARELF;
	emit(d, out, o, '\n');
	d->linelen = 0;
	d->hdr_pos = -1;
	d->state = S_MID;
}

size_t
smtp_data_feed(struct smtp_data *d, const char *in, size_t len, char *out,
    size_t *outlen)
{
	size_t i, o = 0;

	for (i = 0; i < len && !d->done; i++) {
		char c = in[i];

		if (++d->linelen > SMTP_TEXT_MAX)
			d->err |= DATA_ELONGLINE;
		if (!c)
			d->err |= DATA_ENUL;
again:
		switch (d->state) {
		case S_BOL:
			if (c == '.' && !d->binary) {
				d->state = S_DOT;
				break;
			}
			/* FALLTHROUGH */
		case S_MID:
			if (c == '\r')
				d->state = S_CR;
			else if (c == '\n')
				bare_lf(d, out, &o);
			else {
				emit(d, out, &o, c);
				d->state = S_MID;
			}
			break;
		case S_DOT:
			if (c == '\r') {
				d->state = S_DOTCR;
				break;
			}
			/* the leading dot is dropped (RFC 5321 4.5.2) */
			d->state = S_MID;
			goto again;
		case S_DOTCR:
			if (c == '\n') {
				d->done = 1;
				break;
			}
			d->err |= DATA_EBARECR;
			d->state = S_MID;
			goto again;
		case S_CR:
			if (c == '\n') {
				line_end(d, out, &o);
				break;
			}
			d->err |= DATA_EBARECR;
			d->state = S_MID;
			goto again;
		}
	}
	*outlen = o;
	return i;
}

void
smtp_data_finish(struct smtp_data *d)
{
	if (d->state == S_CR)
		d->err |= DATA_EBARECR;
}
