/*
 * control.c -- see control.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "settings.h"

#define CONTROL_MAX 65536	/* no control file is larger than this */

static const char *root_override;

const char *
instance_root(void)
{
	const char *r;

	if (root_override)
		return root_override;
	r = getenv("SLUICE_ROOT");
	return (r && *r) ? r : SLUICE_ROOT_DEFAULT;
}

void
instance_set_root(const char *root)
{
	root_override = root;
}

int
instance_path(stralloc *sa, const char *rel)
{
	if (!stralloc_copys(sa, instance_root()))
		return 0;
	if (!stralloc_cats(sa, "/") || !stralloc_cats(sa, rel))
		return 0;
	return stralloc_0(sa);
}

int
instance_sockaddr(struct sockaddr_un *sun, const char *rel)
{
	stralloc path = {0};
	int r = 0;

	if (!instance_path(&path, rel))
		return -1;
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	if (path.len > sizeof sun->sun_path) {	/* len counts the NUL */
		errno = ENAMETOOLONG;
		r = -1;
	} else
		memcpy(sun->sun_path, path.s, path.len);
	stralloc_free(&path);
	return r;
}

int
file_read_small(const char *path, stralloc *out, size_t maxlen)
{
	int fd;
	ssize_t r;

	out->len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	for (;;) {
		if (!stralloc_readyplus(out, 4096)) {
			close(fd);
			errno = ENOMEM;
			return -1;
		}
		r = read(fd, out->s + out->len, 4096);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		out->len += (size_t)r;
		if (out->len > maxlen) {
			close(fd);
			errno = EFBIG;
			return -1;
		}
	}
	close(fd);
	return 1;
}

static int
control_path(stralloc *sa, const char *name)
{
	if (!stralloc_copys(sa, instance_root()) || !stralloc_cats(sa, "/control/") ||
	    !stralloc_cats(sa, name) || !stralloc_0(sa)) {
		errno = ENOMEM;
		return 0;
	}
	return 1;
}

int
control_read_lines(const char *name, stralloc *out)
{
	stralloc path = {0}, raw = {0};
	size_t i, start;
	int r;

	out->len = 0;
	if (!control_path(&path, name))
		return -1;
	r = file_read_small(path.s, &raw, CONTROL_MAX);
	stralloc_free(&path);
	if (r <= 0) {
		stralloc_free(&raw);
		return r;
	}
	for (start = 0, i = 0; i <= raw.len; i++) {
		size_t b, e;

		if (i < raw.len && raw.s[i] != '\n')
			continue;
		b = start;
		e = i;
		start = i + 1;
		while (b < e && (raw.s[b] == ' ' || raw.s[b] == '\t'))
			b++;
		while (e > b && (raw.s[e - 1] == ' ' || raw.s[e - 1] == '\t' ||
		    raw.s[e - 1] == '\r'))
			e--;
		if (b == e || raw.s[b] == '#')
			continue;
		if (!stralloc_catb(out, raw.s + b, e - b) || !stralloc_0(out)) {
			stralloc_free(&raw);
			errno = ENOMEM;
			return -1;
		}
	}
	stralloc_free(&raw);
	return 1;
}

/* the value text of a setting: first line of the file, or the default */
static int
setting_text(const char *key, stralloc *out, const struct setting **sp)
{
	const struct setting *s = setting_find(key);
	const char *why;
	int r;

	if (!s) {
		errno = EINVAL;
		return -1;
	}
	*sp = s;
	r = control_read_lines(key, out);
	if (r < 0)
		return -1;
	/* an existing but empty file is an empty value for strings that may be
	 * empty (recipientdelimiter: no extensions); for the rest, the default */
	if (r == 1 && out->len == 0 && s->type == ST_STR && s->min == 0) {
		if (!stralloc_copys(out, "") || !stralloc_0(out)) {
			errno = ENOMEM;
			return -1;
		}
		return 1;
	}
	if (r == 0 || out->len == 0) {
		if (!stralloc_copys(out, s->def) || !stralloc_0(out)) {
			errno = ENOMEM;
			return -1;
		}
		return 1;
	}
	out->len = strlen(out->s) + 1;	/* first line only */
	if (!setting_valid(s, out->s, &why)) {
		errno = EINVAL;
		return -1;
	}
	return 1;
}

int
control_get_uint(const char *key, unsigned long *v)
{
	stralloc t = {0};
	const struct setting *s;
	size_t i;

	if (setting_text(key, &t, &s) < 0) {
		stralloc_free(&t);
		return -1;
	}
	if (s->type != ST_UINT && s->type != ST_BOOL) {
		stralloc_free(&t);
		errno = EINVAL;
		return -1;
	}
	*v = 0;
	for (i = 0; t.s[i]; i++)
		*v = *v * 10 + (unsigned long)(t.s[i] - '0');
	stralloc_free(&t);
	return 1;
}

int
control_get_str(const char *key, stralloc *out)
{
	const struct setting *s;

	return setting_text(key, out, &s);
}
