/*
 * setcmds.c -- `sluice-conf set|unset|get` and `help settings`: the
 * settings of lib/settings.h, one file each in ROOT/control/.
 *
 *   set KEY VALUE    validate through the settings table, then write
 *   unset KEY        remove the file: the default applies again
 *   get KEY          the value, or the default when unset
 *   help settings    every key with its default, bounds and meaning
 *
 * An unknown key or a value out of bounds is refused (exit 1) before any
 * file is touched.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <buffer.h>

#include <openssl/rand.h>

#include "conf.h"
#include "control.h"
#include "logmsg.h"
#include "settings.h"
#include "sysutil.h"

static const struct setting *
setting_arg(const char *key)
{
	const struct setting *s = setting_find(key);

	if (!s)
		usage_fail("unknown setting ", key,
		    " (sluice-conf help settings lists them)", NULL);
	return s;
}

int
cmd_set(int argc, char **argv)
{
	const struct setting *s;
	const char *why;
	char *v;

	if (argc != 3)
		usage_fail("usage: sluice-conf set KEY VALUE", NULL);
	s = setting_arg(argv[1]);
	v = str_join("", argv[2]);
	if (s->type == ST_HOST)
		lower(v);
	if (!setting_valid(s, v, &why))
		usage_fail("bad value for ", s->key, ": ", why, NULL);
	/* an empty string value is an empty file (control.c reads it as "") */
	file_put(ipath2("control", s->key), *v ? str_join(v, "\n") : v,
	    *v ? strlen(v) + 1 : 0, setting_is_secret(s->key) ? 0640 : 0644, 0,
	    setting_is_secret(s->key) ? "sluice" : 0);
	return 0;
}

/* a secret is readable by root and group sluice (smtpd, local delivery) */
int
setting_is_secret(const char *key)
{
	return !strcmp(key, "srssecret");
}

void
srssecret_make(void)
{
	unsigned char r[16];
	char hex[2 * sizeof r + 2];
	size_t i;

	if (RAND_bytes(r, sizeof r) != 1)
		sys_fail("init: no random bytes for srssecret (OpenSSL)", NULL);
	for (i = 0; i < sizeof r; i++) {
		hex[2 * i] = "0123456789abcdef"[r[i] >> 4];
		hex[2 * i + 1] = "0123456789abcdef"[r[i] & 15];
	}
	hex[2 * sizeof r] = '\n';
	hex[2 * sizeof r + 1] = 0;
	file_put(ipath2("control", "srssecret"), hex, strlen(hex), 0640, 0,
	    "sluice");
}

int
cmd_unset(int argc, char **argv)
{
	const struct setting *s;
	char *path;

	if (argc != 2)
		usage_fail("usage: sluice-conf unset KEY", NULL);
	s = setting_arg(argv[1]);
	if (!strcmp(s->key, "me"))
		usage_fail("me cannot be unset", NULL);
	path = ipath2("control", s->key);
	if (unlink(path) < 0 && errno != ENOENT)
		sys_fail("unable to remove ", path, NULL);
	if (fsync_parent(path) < 0)
		sys_fail("unable to sync ", ipath("control"), NULL);
	return 0;
}

int
cmd_get(int argc, char **argv)
{
	const struct setting *s;
	stralloc v = {0};

	if (argc != 2)
		usage_fail("usage: sluice-conf get KEY", NULL);
	s = setting_arg(argv[1]);
	if (control_get_str(s->key, &v) < 0) {
		if (errno == EINVAL)
			usage_fail("control/", s->key, " holds a bad value",
			    NULL);
		sys_fail("unable to read control/", s->key, NULL);
	}
	buffer_puts(buffer_1, v.s);
	buffer_puts(buffer_1, "\n");
	stralloc_free(&v);
	if (buffer_flush(buffer_1) < 0)
		sys_fail("unable to write to stdout", NULL);
	return 0;
}

static const char *
bounds(const struct setting *s)
{
	static char b[64];
	char n[21];

	switch (s->type) {
	case ST_UINT:
		b[0] = 0;
		strcat(b, ulong_str(n, s->min));
		strcat(b, "..");
		strcat(b, ulong_str(n, s->max));
		return b;
	case ST_BOOL:
		return "0|1";
	case ST_HOST:
		return "domain name";
	case ST_LIST:
	case ST_STR:
		b[0] = 0;
		strcat(b, "text, at most ");
		strcat(b, ulong_str(n, s->max));
		strcat(b, " bytes");
		return b;
	}
	return "";
}

void
settings_help(void)
{
	const struct setting *s;

	for (s = settings; s->key; s++) {
		buffer_puts(buffer_1, s->key);
		buffer_puts(buffer_1, "\n    default: ");
		buffer_puts(buffer_1, *s->def ? s->def : "(none)");
		buffer_puts(buffer_1, "; allowed: ");
		buffer_puts(buffer_1, bounds(s));
		buffer_puts(buffer_1, "\n    ");
		buffer_puts(buffer_1, s->help);
		buffer_puts(buffer_1, "\n");
	}
	if (buffer_flush(buffer_1) < 0)
		sys_fail("unable to write to stdout", NULL);
}
