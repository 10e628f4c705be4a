/*
 * senderok.c -- sender binding: which envelope senders an authenticated
 * user may use (DESIGN.md "Sending rules and limits").
 *
 * Allowed, in order: the null sender; the login itself; an address in a
 * local domain that the one recipient resolver (userdb.h) delivers to the
 * login (user+ext, user-ext, an alias whose targets reach the login, a few
 * alias levels deep; never a domain's catch-all); a grant in
 * users/senders.cdb, key "LOGIN ADDRESS" or "LOGIN @DOMAIN" (sluice-conf
 * sender add).  Everything compared in lower case.  Reads only cdb files;
 * a lookup error is reported as -1 (the caller answers 451).
 */
#include <string.h>

#include "address.h"
#include "cdblook.h"
#include "control.h"
#include "senderok.h"
#include "userdb.h"

#define ALIAS_DEPTH 4
#define SENDER_KEY_MAX (2 * (ADDR_PATH_MAX + 3))

static void
lower_copy(char *out, const char *in, size_t outlen)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < outlen; i++)
		out[i] = (in[i] >= 'A' && in[i] <= 'Z') ? (char)(in[i] + 32) :
		    in[i];
	out[i] = 0;
}

static int delivers_to(const char *addr, const char *login,
    const char *delims, int depth);

/* 1 if one of an alias's targets (of domain) reaches login */
static int
targets_reach(const stralloc *t, const char *domain, const char *login,
    const char *delims, int depth)
{
	char a[ADDR_PATH_MAX + 3];
	size_t i = 0, n, dl = strlen(domain);
	int r, full;

	for (; i < t->len; i += n + 1) {
		const char *s = t->s + i;

		n = strnlen(s, t->len - i);
		full = memchr(s, '@', n) != 0;
		if (!n || n + 2 + (full ? 0 : dl) > sizeof a)
			continue;
		memcpy(a, s, n);
		a[n] = 0;
		if (!full) {
			a[n] = '@';
			memcpy(a + n + 1, domain, dl + 1);
		}
		lower_copy(a, a, sizeof a);
		r = delivers_to(a, login, delims, depth + 1);
		if (r)
			return r;
	}
	return 0;
}

/* 1 if the lower-case address addr is delivered to login, 0 not, -1 error */
static int
delivers_to(const char *addr, const char *login, const char *delims,
    int depth)
{
	char local[ADDR_PATH_MAX + 3];
	const char *at = strrchr(addr, '@');
	struct resolved res;
	int r;

	if (!strcmp(addr, login))
		return 1;
	if (!at || at == addr || depth >= ALIAS_DEPTH ||
	    (size_t)(at - addr) >= sizeof local)
		return 0;
	r = domain_local(at + 1, strlen(at + 1), 0);
	if (r <= 0)
		return r;
	memcpy(local, addr, (size_t)(at - addr));
	local[at - addr] = 0;
	memset(&res, 0, sizeof res);
	if (local_resolve(local, at + 1, delims, &res) < 0) {
		stralloc_free(&res.targets);
		return -1;
	}
	if (res.kind == RES_USER)
		r = !strcmp(res.key, login);
	else if (res.kind == RES_ALIAS && res.key[0] != '@')
		r = targets_reach(&res.targets, at + 1, login, delims, depth);
	else
		r = 0;
	explicit_bzero(&res.user, sizeof res.user);
	stralloc_free(&res.targets);
	return r;
}

/* 1 if users/senders.cdb grants login the key "login grant" */
static int
granted(const char *login, const char *grant)
{
	stralloc path = {0}, val = {0};
	char key[SENDER_KEY_MAX];
	size_t ll = strlen(login), gl = strlen(grant);
	int r;

	if (ll + 1 + gl >= sizeof key)
		return 0;
	memcpy(key, login, ll);
	key[ll] = ' ';
	memcpy(key + ll + 1, grant, gl);
	if (!instance_path(&path, "users/senders.cdb"))
		return -1;
	r = cdblook_once(path.s, key, ll + 1 + gl, &val);
	stralloc_free(&path);
	stralloc_free(&val);
	return r;
}

int
sender_allowed(const char *login, const char *sender, const char *delims)
{
	char s[ADDR_PATH_MAX + 3], l[ADDR_PATH_MAX + 3];
	const char *at;
	int r;

	if (!*sender)
		return 1;
	lower_copy(s, sender, sizeof s);
	lower_copy(l, login, sizeof l);
	r = delivers_to(s, l, delims, 0);
	if (r)
		return r;
	r = granted(l, s);
	if (r)
		return r;
	at = strrchr(s, '@');
	return at ? granted(l, at) : 0;
}
