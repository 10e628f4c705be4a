/*
 * injectproto.c -- the pure parts of the injection protocol (inject.h):
 * the request header, the reply line, the classification of exit codes.
 * No I/O; fuzzed by tests/fuzz/fuzz_inject.c.
 */
#include <string.h>

#include "inject.h"

#define HDR_PREFIX	"INJECT/1 sign="

int
inject_header_parse(const char *s, size_t len, struct inject_header *h)
{
	static const char pre[] = HDR_PREFIX, mid[] = " bounce=";
	size_t p = sizeof pre - 1, m = sizeof mid - 1;

	if (len != p + 1 + m + 1 || memcmp(s, pre, p) ||
	    memcmp(s + p + 1, mid, m))
		return -1;
	if (s[p] != '0' && s[p] != '1')
		return -1;
	if (s[p + 1 + m] < '0' || s[p + 1 + m] > '2')
		return -1;
	h->sign = s[p] - '0';
	h->bounce = s[p + 1 + m] - '0';
	return 0;
}

size_t
inject_header_format(char *out, const struct inject_header *h)
{
	size_t n = sizeof HDR_PREFIX - 1;

	memcpy(out, HDR_PREFIX, n);
	out[n++] = h->sign ? '1' : '0';
	memcpy(out + n, " bounce=", 8);
	n += 8;
	out[n++] = (char)('0' + (h->bounce >= 0 && h->bounce <= 2 ?
	    h->bounce : 0));
	out[n++] = '\n';
	return n;
}

enum inject_status
inject_status_of(int code)
{
	if (code == 0)
		return INJECT_OK;
	if (code >= 11 && code <= 40)
		return INJECT_PERM;
	return INJECT_TEMP;
}

/* text, printable, cut to fit the reply line */
static size_t
copy_text(char *out, size_t max, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && i < max; i++)
		out[i] = s[i] >= 32 && s[i] < 127 ? s[i] : '?';
	out[i] = 0;
	return i;
}

void
inject_result_set(struct inject_result *r, int code, const char *text)
{
	r->status = inject_status_of(code);
	r->code = code;
	r->qid[0] = 0;
	copy_text(r->text, sizeof r->text - 1, text ? text : "",
	    text ? strlen(text) : 0);
}

void
inject_qid_take(char *qid, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && i < INJECT_QID_MAX; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || c == '.' || c == '-' || c == '_'))
			break;
		qid[i] = c;
	}
	qid[i] = 0;
}

int
inject_reply_parse(const char *s, size_t len, struct inject_result *r)
{
	int code;

	if (len >= INJECT_REPLY_MAX)
		return -1;
	if (len > 3 && !memcmp(s, "ok ", 3)) {
		inject_result_set(r, 0, "");
		inject_qid_take(r->qid, s + 3, len - 3);
		return r->qid[0] && strlen(r->qid) == len - 3 ? 0 : -1;
	}
	if (len < 3 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' ||
	    s[2] != ' ')
		return -1;
	code = (s[0] - '0') * 10 + (s[1] - '0');
	if (code == 0)
		return -1;
	r->status = inject_status_of(code);
	r->code = code;
	r->qid[0] = 0;
	copy_text(r->text, sizeof r->text - 1, s + 3, len - 3);
	return 0;
}

size_t
inject_reply_format(char *out, int code, const char *text)
{
	size_t n;

	if (code == 0) {
		memcpy(out, "ok ", 3);
		n = 3 + copy_text(out + 3, INJECT_QID_MAX, text, strlen(text));
	} else {
		if (code < 1 || code > 99)
			code = 81;
		out[0] = (char)('0' + code / 10);
		out[1] = (char)('0' + code % 10);
		out[2] = ' ';
		n = 3 + copy_text(out + 3, INJECT_REPLY_MAX - 5, text,
		    strlen(text));
	}
	out[n++] = '\n';
	return n;
}
