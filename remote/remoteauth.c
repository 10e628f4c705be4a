/*
 * remoteauth.c -- smarthost credentials (remoteauth.h).  The parser is
 * pure; remoteauth_lookup checks the file's owner and mode through the
 * open descriptor before reading it.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stralloc.h>
#include <textcode.h>

#include "control.h"
#include "remoteauth.h"
#include "sysutil.h"

#define REMOTEAUTH_FILE_MAX 65536

static int
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* the next field of line[*i..len) */
static size_t
field(const char *line, size_t len, size_t *i, const char **f)
{
	size_t b;

	while (*i < len && is_space(line[*i]))
		(*i)++;
	b = *i;
	while (*i < len && !is_space(line[*i]))
		(*i)++;
	*f = line + b;
	return *i - b;
}

static int
line_match(const char *line, size_t len, const char *host,
    struct credentials *c)
{
	const char *h, *u, *p;
	size_t i = 0, hl, ul, pl;

	hl = field(line, len, &i, &h);
	if (!hl || h[0] == '#')
		return 0;
	if (hl != strlen(host) || strncasecmp(h, host, hl))
		return 0;
	ul = field(line, len, &i, &u);
	while (i < len && is_space(line[i]))
		i++;
	p = line + i;
	pl = len - i;
	while (pl && (is_space(p[pl - 1]) || p[pl - 1] == '\r'))
		pl--;
	if (!ul || !pl || ul > AUTH_FIELD_MAX || pl > AUTH_FIELD_MAX)
		return 0;
	if (memchr(u, 0, ul) || memchr(p, 0, pl))
		return 0;
	memcpy(c->user, u, ul);
	c->user[ul] = 0;
	memcpy(c->pass, p, pl);
	c->pass[pl] = 0;
	return 1;
}

int
remoteauth_find(const char *buf, size_t len, const char *host,
    struct credentials *c)
{
	size_t start = 0;

	while (start < len) {
		const char *lf = memchr(buf + start, '\n', len - start);
		size_t end = lf ? (size_t)(lf - buf) : len;

		if (line_match(buf + start, end - start, host, c))
			return 1;
		start = end + 1;
	}
	return 0;
}

static int
read_checked(int fd, stralloc *sa, const char **why)
{
	struct stat st;
	ssize_t r;

	if (fstat(fd, &st) < 0) {
		*why = "cannot stat control/remoteauth";
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077) ||
	    st.st_uid != geteuid()) {
		*why = "control/remoteauth must be a file of its own, mode 0600";
		return -1;
	}
	if (st.st_size > REMOTEAUTH_FILE_MAX) {
		*why = "control/remoteauth is too large";
		return -1;
	}
	if (!stralloc_ready(sa, (size_t)st.st_size + 1)) {
		*why = "out of memory";
		return -1;
	}
	r = read_full(fd, sa->s, (size_t)st.st_size);
	if (r < 0) {
		*why = "cannot read control/remoteauth";
		return -1;
	}
	sa->len = (size_t)r;
	return 1;
}

int
remoteauth_lookup(const char *host, struct credentials *c, const char **why)
{
	stralloc path = {0}, text = {0};
	int fd, r;

	*why = "";
	if (!instance_path(&path, "control/remoteauth")) {
		*why = "out of memory";
		return -1;
	}
	fd = open(path.s, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	stralloc_free(&path);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		*why = "cannot open control/remoteauth";
		return -1;
	}
	r = read_checked(fd, &text, why);
	close(fd);
	if (r > 0)
		r = remoteauth_find(text.s, text.len, host, c);
	if (text.s)
		memset(text.s, 0, text.a);	/* no password copies left behind */
	stralloc_free(&text);
	return r;
}

int
auth_b64(const char *s, char *out)
{
	size_t len = strlen(s);

	if ((len + 2) / 3 * 4 + 1 > AUTH_B64_MAX)
		return 0;
	out[fmt_base64(out, s, len)] = 0;
	return 1;
}

int
auth_plain_response(const struct credentials *c, char *out)
{
	char raw[2 * AUTH_FIELD_MAX + 3];
	size_t ul = strlen(c->user), pl = strlen(c->pass);

	raw[0] = 0;
	memcpy(raw + 1, c->user, ul);
	raw[1 + ul] = 0;
	memcpy(raw + 2 + ul, c->pass, pl);
	out[fmt_base64(out, raw, 2 + ul + pl)] = 0;
	memset(raw, 0, sizeof raw);
	return 1;
}
