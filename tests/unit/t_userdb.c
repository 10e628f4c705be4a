/*
 * t_userdb.c -- unit tests for lib/userdb.c: user record parsing, lookups
 * in users.cdb / aliases.cdb / domains.cdb of a throwaway instance (made
 * with libowfat's cdb_make, and once with tinycdb's cdb command), every
 * step of local_resolve, and password hashing and checking.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cdb_make.h>

#include "sysutil.h"
#include "userdb.h"
#include "tap.h"

static char root[] = "/tmp/t_userdb.XXXXXX";

struct rec {
	const char *k;
	size_t kl;
	const char *v;
	size_t vl;
};
#define R(k, v)	{ k, sizeof k - 1, v, sizeof v - 1 }

/* libowfat's cdb_make_finish leaves its tables allocated */
static void
cdb_make_free(struct cdb_make *cm)
{
	struct cdb_hplist *h, *next;

	for (h = cm->head; h; h = next) {
		next = h->next;
		free(h);
	}
	free(cm->split);
	cm->head = 0;
	cm->split = 0;
}

static void
write_cdb(const char *rel, const struct rec *r, size_t n)
{
	char path[256];
	struct cdb_make cm;
	size_t i;
	int fd;

	snprintf(path, sizeof path, "%s/%s", root, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || cdb_make_start(&cm, fd) < 0) {
		perror(path);
		exit(2);
	}
	for (i = 0; i < n; i++)
		if (cdb_make_add(&cm, (const unsigned char *)r[i].k, r[i].kl,
		    (const unsigned char *)r[i].v, r[i].vl) < 0)
			exit(2);
	if (cdb_make_finish(&cm) < 0 || close(fd) < 0)
		exit(2);
	cdb_make_free(&cm);
}

#define U_JOE	"$6$salt$hash\0/var/sluice/mail/example.com/joe\0" "1000\0" "500\0" "501"
#define U_ANN	"!\0/m/ann\0" "0\0" "7\0" "8"
#define U_BAD	"$6$x\0relative/home\0" "0\0" "1\0" "1"

static void
make_instance(void)
{
	static const struct rec users[] = {
		R("joe@example.com", U_JOE),
		R("ann@example.com", U_ANN),
		R("broken@example.com", U_BAD),
		R("john@example.com", U_ANN),
		R("john-smith@example.com", U_JOE),
	};
	static const struct rec aliases[] = {
		R("sales@example.com", "joe@example.com\0ann"),
		R("list@example.com", "a@x.org\0b@y.org\0c"),
		R("@catchall.example", "joe@example.com"),
		R("postmaster", "joe@example.com"),
		R("info@catchall.example", "ann@example.com"),
		R("team@example.com", "joe"),
	};
	static const struct rec domains[] = {
		R("example.com", ""),
		R("catchall.example", "programs"),
	};
	char path[256];

	if (!mkdtemp(root)) {
		perror("mkdtemp");
		exit(2);
	}
	snprintf(path, sizeof path, "%s/users", root);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/control", root);
	mkdir(path, 0755);
	write_cdb("users/users.cdb", users, sizeof users / sizeof *users);
	write_cdb("users/aliases.cdb", aliases, sizeof aliases / sizeof *aliases);
	write_cdb("control/domains.cdb", domains, sizeof domains / sizeof *domains);
	setenv("SLUICE_ROOT", root, 1);
}

static int
parses(const char *v, size_t len)
{
	struct user u;

	return user_parse(v, len, &u);
}
#define PARSES(lit)	parses(lit, sizeof lit - 1)

static void
test_user_parse(void)
{
	struct user u;
	char big[2100];
	size_t n;

	CHECK(user_parse(U_JOE, sizeof U_JOE - 1, &u) &&
	    !strcmp(u.hash, "$6$salt$hash") &&
	    !strcmp(u.home, "/var/sluice/mail/example.com/joe") &&
	    u.quota == 1000 && u.uid == 500 && u.gid == 501, "parse a record");
	CHECK(PARSES(U_JOE "\0"), "trailing NUL tolerated");
	CHECK(!PARSES(U_JOE "\0\0"), "two trailing NULs refused");
	CHECK(!PARSES(U_JOE "\0x"), "six fields refused");
	CHECK(!PARSES("h\0/h\0" "0\0" "1"), "four fields refused");
	CHECK(!PARSES(""), "empty refused");
	CHECK(!PARSES("\0/h\0" "0\0" "1\0" "1"), "empty hash refused");
	CHECK(PARSES("!\0/h\0" "0\0" "1\0" "1"), "no-login hash");
	CHECK(!PARSES("a\nb\0/h\0" "0\0" "1\0" "1"), "control char in hash");
	CHECK(!PARSES("a:b\0/h\0" "0\0" "1\0" "1"), "colon in hash");
	CHECK(!PARSES("h\0\0" "0\0" "1\0" "1"), "empty home");
	CHECK(!PARSES("h\0h\0" "0\0" "1\0" "1"), "relative home");
	CHECK(!PARSES("h\0/a/../b\0" "0\0" "1\0" "1"), "home with ..");
	CHECK(!PARSES("h\0/a/..\0" "0\0" "1\0" "1"), "home ending in ..");
	CHECK(!PARSES("h\0/a/./b\0" "0\0" "1\0" "1"), "home with .");
	CHECK(PARSES("h\0/a/..b/.c\0" "0\0" "1\0" "1"), "dotted names are fine");
	CHECK(!PARSES("h\0/a\tb\0" "0\0" "1\0" "1"), "control char in home");
	CHECK(!PARSES("h\0/h\0\0" "1\0" "1"), "empty quota");
	CHECK(!PARSES("h\0/h\0-1\0" "1\0" "1"), "negative quota");
	CHECK(!PARSES("h\0/h\0+1\0" "1\0" "1"), "signed quota");
	CHECK(!PARSES("h\0/h\0" "1x\0" "1\0" "1"), "quota junk");
	CHECK(!PARSES("h\0/h\0" "0\0 1\0" "1"), "uid with space");
	CHECK(!PARSES("h\0/h\0" "0\0" "1\0"), "empty gid");
	CHECK(!PARSES("h\0/h\0" "0\0" "1\0" "99999999999999999999999"),
	    "gid overflow");
	CHECK(!PARSES("h\0/h\0" "0\0" "18446744073709551616\0" "1"),
	    "uid 2^64 refused");
	CHECK(PARSES("h\0/h\0" "18446744073709551615\0" "1\0" "1") ||
	    sizeof(unsigned long) < 8, "quota 2^64-1 on 64-bit");
	/* bounds of hash and home */
	memset(big, 'h', 255);
	n = 255;
	memcpy(big + n, "\0/h\0" "0\0" "1\0" "1", 10);
	CHECK(user_parse(big, n + 10, &u) && strlen(u.hash) == 255,
	    "hash of 255");
	memset(big, 'h', 256);
	n = 256;
	memcpy(big + n, "\0/h\0" "0\0" "1\0" "1", 10);
	CHECK(!user_parse(big, n + 10, &u), "hash of 256 refused");
	big[0] = 'h';
	big[1] = 0;
	big[2] = '/';
	memset(big + 3, 'd', 1022);
	n = 3 + 1022;
	memcpy(big + n, "\0" "0\0" "1\0" "1", 7);
	CHECK(user_parse(big, n + 7, &u) && strlen(u.home) == 1023,
	    "home of 1023");
	memset(big + 3, 'd', 1023);
	n = 3 + 1023;
	memcpy(big + n, "\0" "0\0" "1\0" "1", 7);
	CHECK(!user_parse(big, n + 7, &u), "home of 1024 refused");
}

static void
test_lookups(void)
{
	struct user u;
	stralloc sa = {0};

	CHECK(user_get("joe@example.com", 15, &u) == 1 && u.uid == 500,
	    "user_get found");
	CHECK(user_get("JOE@Example.COM", 15, &u) == 1 && u.gid == 501,
	    "user_get lower-cases the key");
	CHECK(user_get("nobody@example.com", 18, &u) == 0, "user_get missing");
	CHECK(user_get("joe@example.comX", 15, &u) == 1,
	    "user_get honours the length");
	errno = 0;
	CHECK(user_get("broken@example.com", 18, &u) == -1 && errno == EINVAL,
	    "malformed record is an error");
	CHECK(user_get("joe@example.com\0x", 17, &u) == 0, "NUL in key");
	CHECK(alias_get("sales@example.com", 17, &sa) == 1 && sa.len == 19 &&
	    !memcmp(sa.s, "joe@example.com\0ann", 19), "alias_get targets");
	CHECK(alias_get("Sales@EXAMPLE.com", 17, &sa) == 1, "alias_get case");
	CHECK(alias_get("nope@example.com", 16, &sa) == 0, "alias_get missing");
	CHECK(alias_get("postmaster", 10, &sa) == 1, "alias_get postmaster");
	CHECK(domain_local("example.com", 11, &sa) == 1 && sa.len == 0,
	    "domain_local, no options");
	CHECK(domain_local("CatchAll.Example", 16, &sa) == 1 && sa.len == 8 &&
	    !memcmp(sa.s, "programs", 8), "domain_local options");
	CHECK(domain_local("example.com", 11, NULL) == 1, "domain_local NULL opts");
	CHECK(domain_local("example.org", 11, NULL) == 0, "domain not local");
	CHECK(domain_local("", 0, NULL) == 0, "empty domain");
	stralloc_free(&sa);
}

static int
resolves(const char *local, const char *domain, const char *delims,
    int kind, const char *key, const char *ext, struct resolved *r)
{
	int x = local_resolve(local, domain, delims, r);

	if (x != 1 || r->kind != kind || strcmp(r->key, key) ||
	    strcmp(r->ext, ext)) {
		printf("# %s@%s: ret %d kind %d key [%s] ext [%s]\n", local,
		    domain, x, r->kind, r->key, r->ext);
		return 0;
	}
	return 1;
}

static void
test_resolve(void)
{
	struct resolved r;

	memset(&r, 0, sizeof r);
	CHECK(resolves("joe", "example.com", "+", RES_USER, "joe@example.com",
	    "", &r) && r.user.uid == 500, "1: user");
	CHECK(resolves("Joe", "example.com", "+", RES_USER, "joe@example.com",
	    "", &r), "1: user, local part case-folded for lookup");
	CHECK(resolves("sales", "example.com", "+", RES_ALIAS,
	    "sales@example.com", "", &r) && r.targets.len == 19, "2: alias");
	CHECK(resolves("joe+lists", "example.com", "+", RES_USER,
	    "joe@example.com", "lists", &r), "3: user+ext");
	CHECK(resolves("joe-lists", "example.com", "+", RES_USER,
	    "joe@example.com", "lists", &r), "3: '-' always a delimiter");
	CHECK(resolves("joe+A+b", "example.com", "+", RES_USER,
	    "joe@example.com", "A+b", &r), "3: first delimiter, ext as written");
	CHECK(resolves("joe+x-y", "example.com", "+", RES_USER,
	    "joe@example.com", "x-y", &r), "3: first of several kinds");
	CHECK(resolves("joe.x-y", "example.com", "+", RES_NONE, "", "", &r),
	    "3: base joe.x unknown");
	CHECK(resolves("sales+q", "example.com", "+", RES_ALIAS,
	    "sales@example.com", "q", &r), "3: alias+ext");
	CHECK(resolves("joe%x", "example.com", "%+", RES_USER,
	    "joe@example.com", "x", &r), "3: several delimiter characters");
	CHECK(resolves("joe+x", "example.com", "", RES_NONE, "", "", &r),
	    "3: empty recipientdelimiter: only '-'");
	CHECK(resolves("joe+x", "example.com", NULL, RES_NONE, "", "", &r),
	    "3: NULL delimiters");
	CHECK(resolves("john-smith", "example.com", "+", RES_USER,
	    "john-smith@example.com", "", &r) && r.user.uid == 500,
	    "1 before 3: the full name wins");
	CHECK(resolves("john-doe", "example.com", "+", RES_USER,
	    "john@example.com", "doe", &r) && r.user.uid == 7,
	    "3: john-doe goes to john");
	CHECK(resolves("+joe", "example.com", "+", RES_NONE, "", "", &r),
	    "3: empty base is no match");
	CHECK(resolves("joe+", "example.com", "+", RES_USER,
	    "joe@example.com", "", &r), "3: empty extension");
	CHECK(resolves("\"joe+x y\"", "example.com", "+", RES_NONE, "", "", &r),
	    "3: never split a quoted local part");
	CHECK(resolves("anything", "catchall.example", "+", RES_ALIAS,
	    "@catchall.example", "", &r) && r.targets.len == 15,
	    "4: catch-all");
	CHECK(resolves("info", "catchall.example", "+", RES_ALIAS,
	    "info@catchall.example", "", &r), "2 before 4");
	CHECK(resolves("postmaster", "example.com", "+", RES_POSTMASTER,
	    "postmaster", "", &r) && r.targets.len == 15,
	    "5: postmaster with instance alias targets");
	CHECK(resolves("PostMaster", "example.com", "+", RES_POSTMASTER,
	    "postmaster", "", &r), "5: postmaster any case");
	CHECK(resolves("abuse", "example.com", "+", RES_POSTMASTER,
	    "postmaster", "", &r), "5: abuse");
	CHECK(resolves("postmaster", "catchall.example", "+", RES_ALIAS,
	    "@catchall.example", "", &r), "4 before 5");
	CHECK(resolves("nobody", "example.com", "+", RES_NONE, "", "", &r),
	    "unknown user");
	CHECK(resolves("", "example.com", "+", RES_NONE, "", "", &r),
	    "empty local part");
	CHECK(local_resolve("broken", "example.com", "+", &r) == -1,
	    "malformed record: error");
	CHECK(local_resolve("broken+x", "example.com", "+", &r) == -1,
	    "malformed record via extension: error");
	{
		char longlocal[200];

		memset(longlocal, 'a', 199);
		longlocal[199] = 0;
		CHECK(resolves(longlocal, "example.com", "+", RES_NONE, "", "",
		    &r), "overlong local part: none");
	}
	stralloc_free(&r.targets);
}

/* an instance without any cdb file: nothing is found, nothing fails */
static void
test_empty_instance(void)
{
	char empty[] = "/tmp/t_userdb_empty.XXXXXX";
	struct resolved r;
	struct user u;

	if (!mkdtemp(empty))
		exit(2);
	setenv("SLUICE_ROOT", empty, 1);
	memset(&r, 0, sizeof r);
	CHECK(user_get("joe@example.com", 15, &u) == 0, "no users.cdb");
	CHECK(domain_local("example.com", 11, NULL) == 0, "no domains.cdb");
	CHECK(resolves("postmaster", "example.com", "+", RES_POSTMASTER,
	    "postmaster", "", &r) && r.targets.len == 0,
	    "postmaster without aliases.cdb");
	CHECK(resolves("joe", "example.com", "+", RES_NONE, "", "", &r),
	    "nobody without cdbs");
	rmdir(empty);
	setenv("SLUICE_ROOT", root, 1);
	stralloc_free(&r.targets);
}

/* the cdb command of tinycdb writes the same format */
static void
test_tinycdb(void)
{
	char cmd[600];
	struct user u;

	if (system("command -v cdb >/dev/null 2>&1") != 0) {
		printf("ok - # SKIP tinycdb cdb command not installed\n");
		return;
	}
	snprintf(cmd, sizeof cmd,
	    "printf '+11,14:x@tiny.test->!\\000/m/x\\000" "0\\000" "42\\000" "43\\n\\n' | "
	    "cdb -c %s/users/users.cdb", root);
	CHECK(system(cmd) == 0, "cdb -c ran");
	CHECK(user_get("x@tiny.test", 11, &u) == 1 && u.uid == 42 &&
	    u.gid == 43 && !strcmp(u.home, "/m/x"), "tinycdb file read");
}

static void
test_passwords(void)
{
	char h[USER_HASH_MAX + 1], h2[USER_HASH_MAX + 1], big[2000];

	CHECK(password_hash("secret", h) == 1, "hash made");
	CHECK(!strncmp(h, "$y$", 3) || !strncmp(h, "$6$", 3),
	    "yescrypt or SHA-512-crypt");
	printf("# hash: %s\n", h);
	CHECK(password_check(h, "secret") == 1, "right password");
	CHECK(password_check(h, "Secret") == 0, "wrong password");
	CHECK(password_check(h, "") == 0, "empty password");
	CHECK(password_check(h, "secret ") == 0, "password with suffix");
	CHECK(password_hash("secret", h2) == 1 && strcmp(h, h2),
	    "salted: two hashes differ");
	CHECK(password_check(h2, "secret") == 1, "second hash checks");
	CHECK(password_check("!", "") == 0, "no-login hash");
	CHECK(password_check("!", "!") == 0, "no-login hash, '!' password");
	CHECK(password_check("", "") == 0, "empty hash");
	CHECK(password_check("*", "") == 0, "'*' hash");
	CHECK(password_check("*0", "*0") == 0, "crypt failure token");
	CHECK(password_check("$6$bogus", "x") == 0, "truncated hash");
	CHECK(password_check("$9$unknown$method", "x") == 0, "unknown method");
	/* a known SHA-512-crypt vector (from the sha-crypt specification) */
	CHECK(password_check("$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/"
	    "O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
	    "Hello world!") == 1, "SHA-512-crypt test vector");
	CHECK(password_check("$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/"
	    "O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
	    "Hello world") == 0, "SHA-512-crypt vector, wrong password");
	memset(big, 'p', sizeof big - 1);
	big[sizeof big - 1] = 0;
	CHECK(password_hash(big, h2) == 0, "overlong password not hashed");
	CHECK(password_check(h, big) == 0, "overlong password refused");
	big[512] = 0;
	CHECK(password_hash(big, h2) == 0, "513-octet password not hashed");
	big[511] = 0;
	CHECK(password_hash(big, h2) == 1 && password_check(h2, big) == 1,
	    "511-octet password");
}

/* the fastest of three checks, in milliseconds */
static unsigned long long
check_ms(const char *hash, const char *password)
{
	unsigned long long best = ~0ULL, t;
	int i;

	for (i = 0; i < 3; i++) {
		t = now_ms();
		password_check(hash, password);
		t = now_ms() - t;
		if (t < best)
			best = t;
	}
	return best;
}

/* no user, a disabled one or a broken hash: refused after the same work
 * as a real check, so the answer's time does not tell them apart */
static void
test_password_timing(void)
{
	char h[USER_HASH_MAX + 1];
	unsigned long long real, none, disabled, broken;

	CHECK(password_check(NULL, "") == 0, "no user: refused");
	CHECK(password_check(NULL, "sluice: no such user") == 0,
	    "no user: the dummy's own password refused");
	if (password_hash("secret", h) != 1) {
		CHECK(0, "hash made");
		return;
	}
	real = check_ms(h, "wrong");
	none = check_ms(NULL, "wrong");
	disabled = check_ms("!", "wrong");
	broken = check_ms("$9$unknown$method", "wrong");
	printf("# check ms: real %llu, no user %llu, disabled %llu, "
	    "unknown method %llu\n", real, none, disabled, broken);
	CHECK(none * 3 + 2 >= real && real * 3 + 2 >= none,
	    "no user costs a real check");
	CHECK(disabled * 3 + 2 >= real, "disabled user costs a real check");
	CHECK(broken * 3 + 2 >= real, "unusable hash costs a real check");
}

/* remove exactly what make_instance and test_tinycdb created */
static void
cleanup(void)
{
	static const char *const files[] = { "users/users.cdb",
	    "users/aliases.cdb", "control/domains.cdb", "users", "control" };
	char p[300];
	size_t i;
	int bad = 0;

	for (i = 0; i < sizeof files / sizeof *files; i++) {
		snprintf(p, sizeof p, "%s/%s", root, files[i]);
		bad |= remove(p);
	}
	bad |= rmdir(root);
	if (bad)
		printf("# cleanup of %s incomplete\n", root);
}

/*
 * Query mode for tests/lib/test_lib_userdb.py, which builds the cdb files
 * with sluice-conf and checks that this reader agrees (SLUICE_ROOT set):
 *   t_userdb resolve LOCAL DOMAIN DELIMS  -> KIND KEY EXT UID GID HOME TARGETS
 *   t_userdb login ADDRESS PASSWORD       -> 1 or 0
 *   t_userdb domain DOMAIN                -> 1 OPTIONS, 0 or -1
 */
static int
query(int argc, char **argv)
{
	struct resolved r;
	struct user u;
	stralloc sa = {0};
	size_t i;
	int x;

	if (argc == 5 && !strcmp(argv[1], "resolve")) {
		memset(&r, 0, sizeof r);
		if (local_resolve(argv[2], argv[3], argv[4], &r) < 0) {
			printf("error %s\n", strerror(errno));
			return 1;
		}
		for (i = 0; i < r.targets.len; i++)
			if (!r.targets.s[i])
				r.targets.s[i] = ',';
		printf("%d [%s] [%s] %lu %lu [%s] [%.*s]\n", r.kind, r.key,
		    r.ext, r.user.uid, r.user.gid, r.user.home,
		    (int)r.targets.len, r.targets.s ? r.targets.s : "");
		stralloc_free(&r.targets);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "login")) {
		x = user_get(argv[2], strlen(argv[2]), &u);
		if (x < 0) {
			printf("error %s\n", strerror(errno));
			return 1;
		}
		printf("%d\n", x == 1 && password_check(u.hash, argv[3]));
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "domain")) {
		x = domain_local(argv[2], strlen(argv[2]), &sa);
		printf("%d %.*s\n", x, x == 1 ? (int)sa.len : 0,
		    sa.s ? sa.s : "");
		stralloc_free(&sa);
		return 0;
	}
	fprintf(stderr, "usage: t_userdb [resolve L D DELIMS | login A P | domain D]\n");
	return 2;
}

int
main(int argc, char **argv)
{
	if (argc > 1) {
		int r = query(argc, argv);
		fflush(stdout);	/* before LeakSanitizer's exit, if it has one */
		return r;
	}
	make_instance();
	test_user_parse();
	test_lookups();
	test_resolve();
	test_empty_instance();
	test_tinycdb();
	test_passwords();
	test_password_timing();
	cleanup();
	return TAP_DONE();
}
