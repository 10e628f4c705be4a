/*
 * netcmds.c -- `sluice-conf route|relay|remoteauth`: where remote mail
 * goes and who may relay.
 *
 *   route add DOMAIN HOST[:PORT] [OPTION...] | del DOMAIN | list
 *     (OPTION: tls=may, tls=verify, cafile=/PATH, tls=fingerprint:SHA256HEX)
 *        ("." as DOMAIN is the smarthost for everything without a route)
 *   relay add CIDR | del CIDR | list
 *   remoteauth add HOST USER | del HOST | list   (password: stdin)
 *
 * Relay blocks are stored in canonical form (address/bits), so del finds
 * a block however it was written.  remoteauth list never shows passwords.
 */
#include <string.h>
#include <buffer.h>

#include "conf.h"
#include "logmsg.h"

#define SECRET_MAX 255		/* remote/remoteauth.h AUTH_FIELD_MAX */

static int
is(const char *a, const char *b)
{
	return !strcmp(a, b);
}

static char *
join_args(int argc, char **argv, int from)
{
	char *s = str_join("", argv[from]);
	int i;

	for (i = from + 1; i < argc; i++)
		s = str_join(str_join(s, " "), argv[i]);
	return s;
}

int
cmd_route(int argc, char **argv)
{
	struct table t;
	char *line, *key;
	int i;

	table_load(&t, &ft_routes);
	if (argc >= 4 && argc <= 10 && is(argv[1], "add")) {
		for (i = 2; i < argc; i++)
			arg_word(argv[i]);
		/* domain and host are case-insensitive; a cafile= path is not */
		lower(argv[2]);
		lower(argv[3]);
		line = join_args(argc, argv, 2);
		key = table_key_of(&ft_routes, line);
		if (table_find(&t, key) >= 0)
			usage_fail("a route for ", key, " exists (route del "
			    "first)", NULL);
		table_add(&t, line);
	} else if (argc == 3 && is(argv[1], "del")) {
		arg_word(argv[2]);
		key = table_key_of(&ft_routes, str_join(argv[2], " localhost"));
		table_del(&t, table_need(&t, key, "route for"));
	} else if (argc == 2 && is(argv[1], "list")) {
		table_list(&t, 1, 0);
		return 0;
	} else {
		usage_fail("usage: sluice-conf route add DOMAIN HOST[:PORT] "
		    "[tls=verify | cafile=/PATH | tls=fingerprint:SHA256HEX]... "
		    "| del DOMAIN | list", NULL);
	}
	table_save(&t);
	return 0;
}

int
cmd_relay(int argc, char **argv)
{
	struct table t;
	char *key;

	table_load(&t, &ft_relay);
	if (argc == 3 && (is(argv[1], "add") || is(argv[1], "del"))) {
		arg_word(argv[2]);
		key = table_key_of(&ft_relay, argv[2]);
		if (is(argv[1], "del"))
			table_del(&t, table_need(&t, key, "relay block"));
		else if (table_find(&t, key) >= 0)
			usage_fail(key, " is already in the relay list", NULL);
		else
			table_add(&t, key);
	} else if (argc == 2 && is(argv[1], "list")) {
		table_list(&t, 0, 0);
		return 0;
	} else {
		usage_fail("usage: sluice-conf relay add|del CIDR | list",
		    NULL);
	}
	table_save(&t);
	return 0;
}

static void
remoteauth_list(const struct table *t)
{
	size_t i;
	char *line, *p;

	for (i = 0; i < t->n; i++) {
		if (!t->l[i].key)
			continue;
		line = str_join("", t->l[i].text);	/* HOST USER only */
		p = line + strspn(line, " \t");
		p += strcspn(p, " \t");
		p += strspn(p, " \t");
		p += strcspn(p, " \t");
		*p = 0;
		buffer_puts(buffer_1, line);
		buffer_puts(buffer_1, "\n");
	}
	if (buffer_flush(buffer_1) < 0)
		sys_fail("unable to write to stdout", NULL);
}

int
cmd_remoteauth(int argc, char **argv)
{
	struct table t;
	stralloc pw = {0};
	char *line, *key;

	table_load(&t, &ft_remoteauth);
	if (argc == 4 && is(argv[1], "add")) {
		arg_word(argv[2]);
		arg_word(argv[3]);
		key = table_key_of(&ft_remoteauth,
		    str_join(join_args(argc, argv, 2), " x"));
		if (table_find(&t, key) >= 0)
			usage_fail("credentials for ", key, " exist "
			    "(remoteauth del first)", NULL);
		stdin_line(&pw, SECRET_MAX);
		if (!pw.len || has_ctl(pw.s, pw.len))
			usage_fail("password: one line of printable text on "
			    "stdin", NULL);
		line = str_join(str_join(join_args(argc, argv, 2), " "),
		    sa_keep(&pw));
		table_add(&t, line);
	} else if (argc == 3 && is(argv[1], "del")) {
		arg_word(argv[2]);
		key = table_key_of(&ft_remoteauth, str_join(argv[2], " u p"));
		table_del(&t, table_need(&t, key, "credentials for"));
	} else if (argc == 2 && is(argv[1], "list")) {
		remoteauth_list(&t);
		return 0;
	} else {
		usage_fail("usage: sluice-conf remoteauth add HOST USER | del "
		    "HOST | list", NULL);
	}
	table_save(&t);
	return 0;
}
