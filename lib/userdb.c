/*
 * userdb.c -- virtual users, aliases, local domains and the one recipient
 * resolver (userdb.h); password checking and hashing through crypt(3).
 *
 * Inputs: ROOT/users/users.cdb, ROOT/users/aliases.cdb and
 * ROOT/control/domains.cdb (ROOT from instance_root()), read through
 * cdblook; a missing file means "nothing there".  Keys are looked up in
 * lower case (ASCII); values are parsed and bounded before use.
 *
 * Failure: a read error or a malformed users.cdb record is an error
 * (-1, errno; EINVAL for a bad record) so that callers answer with a
 * temporary failure instead of guessing.  No output besides the structs.
 *
 * local_resolve opens users.cdb and aliases.cdb once per call.  The
 * caller zeroes its struct resolved once (targets is a stralloc) and may
 * reuse it.  For RES_POSTMASTER, r->targets holds the instance-wide
 * "postmaster" alias when there is one (empty otherwise).  Extensions are
 * never split out of a quoted local part, and an empty base ("+x") is
 * no match.
 *
 * Passwords: crypt_rn (libxcrypt) and a constant-time comparison; a hash
 * that does not start like a crypt(3) setting ("!", "*", empty) never
 * matches, and neither does a missing user (NULL hash), both after the
 * same work as a real check (a built-in dummy hash), so that answer
 * times do not tell which users exist or may log in.  New hashes are
 * yescrypt, or SHA-512-crypt where yescrypt is unavailable, with salt
 * from the OS random source.
 */
#include <crypt.h>
#include <errno.h>
#include <pwd.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <scan.h>

#include "userdb.h"
#include "cdblook.h"
#include "control.h"
#include "address.h"
#include "srs.h"

#define KEY_MAX ADDR_PATH_MAX	/* no valid path holds a longer mailbox */
/* longest password: libxcrypt refuses CRYPT_MAX_PASSPHRASE_SIZE (512)
 * octets with its NUL, and long ones make SHA-crypt slow */
#define PASSWORD_MAX (CRYPT_MAX_PASSPHRASE_SIZE - 1)

#define USERS_CDB	"users/users.cdb"
#define ALIASES_CDB	"users/aliases.cdb"
#define DOMAINS_CDB	"control/domains.cdb"

/* field [p, p+len) as a decimal unsigned long with no sign: 1 ok */
static int
parse_ulong_field(const char *p, size_t len, unsigned long *out)
{
	if (len == 0 || len > 20 || p[0] < '0' || p[0] > '9')
		return 0;
	return scan_ulongn(p, len, out) == len;
}

/* 1 if s[0..len) holds no control characters */
static int
printable(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 32 || (unsigned char)s[i] == 127)
			return 0;
	return 1;
}

/* an absolute path without "." or ".." components: 1 ok */
static int
home_valid(const char *h, size_t len)
{
	size_t i, start;

	if (len == 0 || len > USER_HOME_MAX || h[0] != '/' ||
	    !printable(h, len))
		return 0;
	for (i = 1, start = 1; i <= len; i++) {
		if (i < len && h[i] != '/')
			continue;
		if ((i - start == 1 && h[start] == '.') ||
		    (i - start == 2 && h[start] == '.' && h[start + 1] == '.'))
			return 0;
		start = i + 1;
	}
	return 1;
}

int
user_parse(const char *val, size_t len, struct user *u)
{
	const char *f[5];
	size_t flen[5], n = 0, i, start = 0;

	/* a trailing NUL after GID is tolerated */
	if (len && val[len - 1] == 0)
		len--;
	for (i = 0; i <= len; i++) {
		if (i < len && val[i] != 0)
			continue;
		if (n == 5)
			return 0;
		f[n] = val + start;
		flen[n++] = i - start;
		start = i + 1;
	}
	if (n != 5)
		return 0;
	memset(u, 0, sizeof *u);
	if (flen[0] == 0 || flen[0] > USER_HASH_MAX ||
	    !printable(f[0], flen[0]) || memchr(f[0], ':', flen[0]))
		return 0;
	if (!home_valid(f[1], flen[1]))
		return 0;
	if (!parse_ulong_field(f[2], flen[2], &u->quota) ||
	    !parse_ulong_field(f[3], flen[3], &u->uid) ||
	    !parse_ulong_field(f[4], flen[4], &u->gid)) {
		memset(u, 0, sizeof *u);
		return 0;
	}
	memcpy(u->hash, f[0], flen[0]);
	memcpy(u->home, f[1], flen[1]);
	return 1;
}

/* lower-case copy of s[0..len) into key (KEY_MAX+1): 1 ok, 0 too long */
static int
make_key(char *key, const char *s, size_t len)
{
	size_t i;

	if (len > KEY_MAX)
		return 0;
	for (i = 0; i < len; i++)
		key[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
	key[len] = 0;
	return 1;
}

/* key = lower-case local "@" domain; 1 ok, 0 too long */
static int
make_address_key(char *key, const char *local, size_t llen,
    const char *domain)
{
	size_t dlen = strlen(domain);

	if (llen + 1 + dlen > KEY_MAX)
		return 0;
	make_key(key, local, llen);
	key[llen] = '@';
	make_key(key + llen + 1, domain, dlen);
	return 1;
}

/* open ROOT/rel for lookups: 1 open, 0 missing, -1 error */
static int
db_open(struct cdblook *l, const char *rel)
{
	stralloc path = {0};
	int r;

	if (!instance_path(&path, rel)) {
		errno = ENOMEM;
		return -1;
	}
	r = cdblook_open(l, path.s);
	stralloc_free(&path);
	return r;
}

/* look key up in an open (or missing: l->c NULL) cdb */
static int
db_find(struct cdblook *l, const char *key, stralloc *val)
{
	if (!l->c)
		return 0;
	return cdblook_find(l, key, strlen(key), val);
}

/* find and parse a user record in an open users.cdb */
static int
find_user(struct cdblook *l, const char *key, struct user *u)
{
	stralloc val = {0};
	int r;

	r = db_find(l, key, &val);
	if (r == 1 && !user_parse(val.s, val.len, u)) {
		errno = EINVAL;
		r = -1;
	}
	stralloc_free(&val);
	return r;
}

/* one-shot lookup of key in ROOT/rel */
static int
lookup_once(const char *rel, const char *key, stralloc *val)
{
	struct cdblook l;
	int r;

	if ((r = db_open(&l, rel)) <= 0)
		return r;
	r = db_find(&l, key, val);
	cdblook_close(&l);
	return r;
}

int
user_get(const char *address, size_t len, struct user *u)
{
	char key[KEY_MAX + 1];
	struct cdblook l;
	int r;

	if (!make_key(key, address, len) || memchr(address, 0, len))
		return 0;
	if ((r = db_open(&l, USERS_CDB)) <= 0)
		return r;
	r = find_user(&l, key, u);
	cdblook_close(&l);
	return r;
}

int
alias_get(const char *key, size_t len, stralloc *targets)
{
	char k[KEY_MAX + 1];

	if (!make_key(k, key, len) || memchr(key, 0, len))
		return 0;
	return lookup_once(ALIASES_CDB, k, targets);
}

/* 1 if the lower-cased domain k is control/me */
static int
is_me(const char *k)
{
	stralloc me = {0};
	int r = control_get_str("me", &me) == 1 && me.s && !strcmp(me.s, k);

	stralloc_free(&me);
	return r;
}

int
domain_local(const char *domain, size_t len, stralloc *opts)
{
	char k[KEY_MAX + 1];
	stralloc tmp = {0};
	int r;

	if (len == 0 || len > ADDR_DOMAIN_MAX || memchr(domain, 0, len))
		return 0;
	make_key(k, domain, len);
	r = lookup_once(DOMAINS_CDB, k, opts ? opts : &tmp);
	stralloc_free(&tmp);
	if (r == 0 && is_me(k)) {
		/* this host's own name is always local, as in qmail: mail to
		 * postmaster@me (and double bounces) must never bounce */
		if (opts)
			opts->len = 0;
		return 1;
	}
	return r;
}

/* 1 if local@domain is mail for the host itself: domain is me and local
 * is root or mailer-daemon, or names an account of this host (cron mails
 * the owner of a crontab; daemons mail their own account).  Virtual users
 * and aliases were tried first, so an account name that is also a
 * mailbox at me stays that mailbox. */
static int
system_account(const char *local, const char *domain)
{
	char name[33];
	size_t i, n = strlen(local);

	if (!is_me(domain))
		return 0;
	if (!strcasecmp(local, "root") || !strcasecmp(local, "mailer-daemon"))
		return 1;
	if (n == 0 || n >= sizeof name)
		return 0;
	for (i = 0; i < n; i++) {
		char c = local[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '-' || c == '.'))
			return 0;
		name[i] = c;
	}
	name[n] = 0;
	return getpwnam(name) != 0;
}

/* the open databases of one resolution */
struct resolver {
	struct cdblook users, aliases;
};

/* user, then alias, for key: 1 found (r filled), 0 not, -1 error */
static int
try_key(struct resolver *rs, const char *key, struct resolved *r)
{
	int x;

	if ((x = find_user(&rs->users, key, &r->user)) == 1)
		r->kind = RES_USER;
	else if (x == 0 && (x = db_find(&rs->aliases, key, &r->targets)) == 1)
		r->kind = RES_ALIAS;
	if (x == 1)
		memcpy(r->key, key, strlen(key) + 1);
	return x;
}

/* steps 3..5 of the resolution (userdb.h), after the exact key failed */
static int
try_fallbacks(struct resolver *rs, const char *local, const char *domain,
    const char *delims, struct resolved *r)
{
	char key[KEY_MAX + 1];
	size_t base, llen = strlen(local);
	int x;

	/* 3: extension at the first delimiter (never in quoted forms) */
	base = strcspn(local, delims);
	if (local[0] != '"' && base > 0 && base < llen) {
		make_address_key(key, local, base, domain);
		if ((x = try_key(rs, key, r)) != 0) {
			if (x == 1)
				memcpy(r->ext, local + base + 1, llen - base);
			return x;
		}
	}
	/* 4: the domain's catch-all */
	key[0] = '@';
	make_key(key + 1, domain, strlen(domain));
	if ((x = db_find(&rs->aliases, key, &r->targets)) != 0) {
		if (x == 1) {
			r->kind = RES_ALIAS;
			memcpy(r->key, key, strlen(key) + 1);
		}
		return x;
	}
	/* 5: postmaster and abuse, and the host's own accounts at me, with
	 * the instance-wide postmaster alias */
	if (!strcasecmp(local, "postmaster") || !strcasecmp(local, "abuse") ||
	    system_account(local, domain)) {
		if (db_find(&rs->aliases, "postmaster", &r->targets) < 0)
			return -1;
		r->kind = RES_POSTMASTER;
		memcpy(r->key, "postmaster", sizeof "postmaster");
	}
	return 0;
}

/* step 0: an SRS address of ours (srs.h) is an alias for the sender it
 * hides.  1 it was one (r->kind RES_ALIAS, or RES_NONE when forged or
 * expired), 0 it is not, -1 the secret cannot be read */
static int
srs_resolve(const char *local, size_t llen, const char *domain,
    struct resolved *r)
{
	stralloc secret = {0}, orig = {0};
	int x;

	if (llen < 5 || strncasecmp(local, "srs0=", 5))
		return 0;
	if (control_get_str("srssecret", &secret) < 0)
		return -1;
	x = 0;
	if (secret.len > 1) {
		x = srs_reverse(local, llen, secret.s, secret.len - 1, time(0),
		    &orig);
		if (x == 1 && make_address_key(r->key, local, llen, domain) &&
		    stralloc_copyb(&r->targets, orig.s, orig.len))
			r->kind = RES_ALIAS;
		x = 1;
	}
	stralloc_free(&secret);
	stralloc_free(&orig);
	return x;
}

int
local_resolve(const char *local, const char *domain, const char *delims,
    struct resolved *r)
{
	struct resolver rs;
	char key[KEY_MAX + 1], alldelims[6];
	size_t llen = strlen(local), dlen = strlen(domain), n = 0;
	int x;

	r->kind = RES_NONE;
	r->key[0] = 0;
	r->ext[0] = 0;
	r->targets.len = 0;
	memset(&r->user, 0, sizeof r->user);
	if (llen == 0 || llen > ADDR_LOCAL_MAX + 2 || dlen == 0 ||
	    llen + 1 + dlen > KEY_MAX)
		return 1;
	if ((x = srs_resolve(local, llen, domain, r)) != 0)
		return x;
	/* recipientdelimiter is at most 4 characters; '-' always counts */
	while (delims && delims[n] && n < 4) {
		alldelims[n] = delims[n];
		n++;
	}
	alldelims[n++] = '-';
	alldelims[n] = 0;
	if (db_open(&rs.users, USERS_CDB) < 0)
		return -1;
	if (db_open(&rs.aliases, ALIASES_CDB) < 0) {
		cdblook_close(&rs.users);
		return -1;
	}
	make_address_key(key, local, llen, domain);
	x = try_key(&rs, key, r);
	if (x == 0)
		x = try_fallbacks(&rs, local, domain, alldelims, r);
	cdblook_close(&rs.users);
	cdblook_close(&rs.aliases);
	if (x < 0) {
		r->kind = RES_NONE;
		return -1;
	}
	return 1;
}

/* compare equal-length strings without an early exit */
static int
same_bytes(const char *a, const char *b, size_t len)
{
	volatile unsigned char diff = 0;
	size_t i;

	for (i = 0; i < len; i++)
		diff |= (unsigned char)a[i] ^ (unsigned char)b[i];
	return diff == 0;
}

static struct crypt_data crypt_work;	/* 32 KiB: not on the stack */

/* Hashes of a password nobody uses, made once with password_hash's two
 * methods at their default cost.  Checking a password against one costs
 * what checking a real hash costs, so a login for a user who does not
 * exist, or may not log in, takes as long as a wrong password. */
static const char *const dummy_hashes[] = {
	"$y$j9T$RmRDpW1jdxuCYz23BGVFQ.$6DTtezrqvkBVjydI./1XrhGI72w8hyzBbqo9dKvsEt5",
	"$6$6AaVVBczs7cJwWwH$VH3/AnkaeWhpHAusdv0V8pzXpCuCX0877JEbt/lDJOrwLZMHR"
	    "hpUJ/1exK.atDkbZBafcD0lwWm/AVncoeYPI1",
};

/* the hash of some user with a password, to copy its kind and cost:
 * 1 into out, 0 none among the first few records (or an error) */
static int
sample_hash(char *out)
{
	struct cdblook l;
	stralloc val = {0};
	struct user u;
	unsigned int pos = 0, n;
	int found = 0;

	if (db_open(&l, USERS_CDB) <= 0)
		return 0;
	for (n = 0; n < 16 && !found && cdblook_next(&l, &pos, &val) == 1; n++)
		if (user_parse(val.s, val.len, &u) && u.hash[0] == '$') {
			memcpy(out, u.hash, strlen(u.hash) + 1);
			found = 1;
		}
	cdblook_close(&l);
	explicit_bzero(&u, sizeof u);
	stralloc_free(&val);
	return found;
}

/* the work of one check, against a real user's hash as the crypt setting
 * (same method, cost and salt: imported hashes of another kind or cost
 * leak nothing either), else against the first dummy this libcrypt can
 * do (the method password_hash would pick); always 0 */
static int
check_dummy(const char *password)
{
	char like[USER_HASH_MAX + 1];
	const char *out;
	size_t i;

	if (sample_hash(like)) {
		memset(&crypt_work, 0, sizeof crypt_work);
		out = crypt_rn(password, like, &crypt_work, sizeof crypt_work);
		explicit_bzero(&crypt_work, sizeof crypt_work);
		explicit_bzero(like, sizeof like);
		if (out && out[0] != '*')
			return 0;
	}
	for (i = 0; i < sizeof dummy_hashes / sizeof dummy_hashes[0]; i++) {
		memset(&crypt_work, 0, sizeof crypt_work);
		out = crypt_rn(password, dummy_hashes[i], &crypt_work,
		    sizeof crypt_work);
		if (out && out[0] != '*')
			break;
	}
	explicit_bzero(&crypt_work, sizeof crypt_work);
	return 0;
}

int
password_check(const char *hash, const char *password)
{
	const char *out;
	size_t hlen;
	int same;

	if (strlen(password) > PASSWORD_MAX)
		return 0;
	if (!hash || (hlen = strlen(hash)) == 0 || hash[0] == '!' ||
	    hash[0] == '*')
		return check_dummy(password);
	memset(&crypt_work, 0, sizeof crypt_work);
	out = crypt_rn(password, hash, &crypt_work, sizeof crypt_work);
	if (!out || out[0] == '*' || strlen(out) != hlen)
		return check_dummy(password);
	same = same_bytes(out, hash, hlen);
	explicit_bzero(&crypt_work, sizeof crypt_work);
	return same;
}

/* a salted hash with the given method prefix into out: 1 ok */
static int
hash_with(const char *prefix, const char *password, char *out)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	const char *h;
	size_t len;

	if (!crypt_gensalt_rn(prefix, 0, NULL, 0, setting, sizeof setting))
		return 0;
	memset(&crypt_work, 0, sizeof crypt_work);
	h = crypt_rn(password, setting, &crypt_work, sizeof crypt_work);
	if (!h || h[0] == '*' || (len = strlen(h)) > USER_HASH_MAX)
		return 0;
	memcpy(out, h, len + 1);
	return 1;
}

int
password_hash(const char *password, char *out)
{
	if (strlen(password) > PASSWORD_MAX)
		return 0;
	return hash_with("$y$", password, out) ||
	    hash_with("$6$", password, out);
}
