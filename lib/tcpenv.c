/*
 * tcpenv.c -- the UCSPI environment and tcprules for servers started
 * without tcpserver (tcpenv.h).  Reads one cdb (through cdblook) and the
 * socket's addresses; writes only the process environment.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cdblook.h"
#include "exitcodes.h"
#include "logmsg.h"
#include "netaddr.h"
#include "tcpenv.h"

#define VAR_NAME_MAX 255

static int
name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > VAR_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] == '=' || s[i] == 0)
			return 0;
	return 1;
}

/* one pass over the instructions: count and check (set NULL) or apply */
static enum tcprules_verdict
walk(const char *v, size_t len, int (*set)(void *, const char *, size_t,
    const char *, size_t), void *arg)
{
	size_t pos = 0, n = 0;

	while (pos < len) {
		const char *ins = v + pos, *eq;
		const char *end = memchr(ins, 0, len - pos);
		size_t l;

		if (!end)
			return TCPRULES_BAD;	/* every instruction ends in \0 */
		l = (size_t)(end - ins);
		pos += l + 1;
		if (l == 1 && ins[0] == 'D') {
			if (!set)
				return TCPRULES_DENY;
			continue;
		}
		if (l < 2 || ins[0] != '+' || ++n > TCPRULES_VARS_MAX)
			return TCPRULES_BAD;
		eq = memchr(ins + 1, '=', l - 1);
		if (!name_ok(ins + 1, eq ? (size_t)(eq - ins - 1) : l - 1))
			return TCPRULES_BAD;
		if (set && set(arg, ins + 1, eq ? (size_t)(eq - ins - 1) : l - 1,
		    eq ? eq + 1 : 0, eq ? (size_t)(end - eq - 1) : 0) < 0)
			return TCPRULES_BAD;
	}
	return TCPRULES_ALLOW;
}

enum tcprules_verdict
tcprules_parse(const char *v, size_t len,
    int (*set)(void *, const char *, size_t, const char *, size_t), void *arg)
{
	enum tcprules_verdict r;

	if (len > TCPRULES_VALUE_MAX)
		return TCPRULES_BAD;
	r = walk(v, len, 0, 0);
	if (r != TCPRULES_ALLOW)
		return r;
	return walk(v, len, set, arg);
}

/* text of a socket address as tcpserver shows it, and its port */
static int
sock_text(const struct sockaddr_storage *ss, char *ip, char *port)
{
	struct ipaddr a;
	unsigned int p;
	static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0xff, 0xff };

	memset(&a, 0, sizeof a);
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		a.family = 4;
		memcpy(a.a, &in->sin_addr, 4);
		p = ntohs(in->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		a.family = 6;
		memcpy(a.a, &in6->sin6_addr, 16);
		if (!memcmp(a.a, v4mapped, 12)) {
			a.family = 4;
			memmove(a.a, a.a + 12, 4);
		}
		p = ntohs(in6->sin6_port);
	} else
		return 0;
	if (!ip_format(&a, ip))
		return 0;
	ulong_str(port, p);
	return 1;
}

/* append "NAME=VALUE\0" (value NULL: "NAME\0", a removal) to vars */
static int
var_add(stralloc *vars, const char *name, size_t nl, const char *value,
    size_t vl)
{
	if (!stralloc_catb(vars, name, nl))
		return -1;
	if (value && (!stralloc_append(vars, "=") ||
	    !stralloc_catb(vars, value, vl)))
		return -1;
	return stralloc_0(vars) ? 0 : -1;
}

static int
var_adds(stralloc *vars, const char *name, const char *value)
{
	return var_add(vars, name, strlen(name), value, strlen(value));
}

static int
env_from(int fd, int peer, const char *ipvar, const char *portvar,
    stralloc *vars, char *ip)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char port[21];
	int r;

	memset(&ss, 0, sizeof ss);
	r = peer ? getpeername(fd, (struct sockaddr *)&ss, &sl) :
	    getsockname(fd, (struct sockaddr *)&ss, &sl);
	if (r < 0)
		return -1;
	if (!sock_text(&ss, ip, port)) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	if (var_adds(vars, ipvar, ip) < 0 || var_adds(vars, portvar, port) < 0)
		return -1;
	return 0;
}

static int
set_var(void *arg, const char *name, size_t nl, const char *value, size_t vl)
{
	return var_add(arg, name, nl, value, vl);
}

/* the rule for ip: the address, its prefixes ending in '.', then "" */
static int
rule_find(const char *file, const char *ip, stralloc *val)
{
	struct cdblook l;
	size_t n = strlen(ip);
	int r;

	if ((r = cdblook_open(&l, file)) <= 0) {
		if (r == 0)
			errno = ENOENT;
		return -1;
	}
	r = cdblook_find(&l, ip, n, val);
	while (r == 0 && n > 0) {
		while (--n > 0 && ip[n - 1] != '.')
			;
		r = cdblook_find(&l, ip, n, val);
	}
	cdblook_close(&l);
	return r;
}

int
tcpenv_collect(int fd, const char *rulesfile, stralloc *vars)
{
	stralloc val = {0};
	char ip[46], lip[46];
	enum tcprules_verdict v;
	int r;

	vars->len = 0;
	if (var_adds(vars, "PROTO", "TCP") < 0)
		return -1;
	if (env_from(fd, 1, "TCPREMOTEIP", "TCPREMOTEPORT", vars, ip) < 0 ||
	    env_from(fd, 0, "TCPLOCALIP", "TCPLOCALPORT", vars, lip) < 0) {
		/* not a TCP socket (a pipe in a test, a Unix socket): nothing
		 * to set, and rules about IPs cannot be followed */
		vars->len = 0;
		if (!rulesfile || !*rulesfile)
			return 1;
		return -1;
	}
	if (!rulesfile || !*rulesfile)
		return 1;
	r = rule_find(rulesfile, ip, &val);
	if (r < 0) {
		stralloc_free(&val);
		return -1;
	}
	v = r == 0 ? TCPRULES_ALLOW : tcprules_parse(val.s, val.len, set_var,
	    vars);
	stralloc_free(&val);
	if (v == TCPRULES_BAD) {
		errno = EINVAL;
		return -1;
	}
	return v == TCPRULES_ALLOW;
}

/* "NAME=VALUE" or "NAME" (remove) from tcpenv_collect, into environ */
static int
var_apply(char *entry)
{
	char *eq = strchr(entry, '=');
	int r;

	if (!eq)
		return unsetenv(entry);
	*eq = 0;
	r = setenv(entry, eq + 1, 1);
	*eq = '=';
	return r;
}

int
tcpenv_setup(int fd, const char *rulesfile)
{
	stralloc vars = {0};
	size_t pos;
	int r;

	if (getenv("TCPREMOTEIP"))
		return 1;
	r = tcpenv_collect(fd, rulesfile, &vars);
	/* denied: the TCP* variables only, for the caller's log line */
	for (pos = 0; r >= 0 && pos < vars.len; pos += strlen(vars.s + pos) + 1)
		if (var_apply(vars.s + pos) < 0)
			r = -1;
	stralloc_free(&vars);
	return r;
}

void
tcpenv_server(void)
{
	const char *rules = getenv("SLUICE_TCPRULES");
	int r = tcpenv_setup(0, rules);

	if (r > 0)
		return;
	if (r == 0) {
		log_line("deny ", getenv("TCPREMOTEIP"), " by ", rules, NULL);
		_exit(0);
	}
	log_line_sys("cannot follow the per-IP rules ", rules ? rules : "",
	    NULL);
	_exit(EX_SL_TEMP);
}
