/*
 * dkimcmd.c -- `sluice-conf dkim add|list|del|rotate` and
 * `sluice-conf dns DOMAIN`.
 *
 * Keys live in ROOT/dkim/DOMAIN/: SELECTOR.pem (the PEM private key) for
 * every selector ever made, and `current`, one line naming the selectors
 * mail is signed with now ("RSA-SELECTOR ED25519-SELECTOR").  In a root
 * instance ROOT/dkim and everything in it belong to sluiceq, mode 0700 /
 * 0400: only sluice-queue (setuid sluiceq), which signs, can read a key;
 * the network-facing smtpd cannot.  Selectors are made from the date:
 * rYYYYMMDD and eYYYYMMDD (a letter added when rotated twice a day).
 * `rotate` makes new keys and switches `current` to them; the old keys
 * stay (their DNS records must stay published until mail signed with
 * them has arrived) until `dkim del DOMAIN SELECTOR` removes them.
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <buffer.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "conf.h"
#include "control.h"
#include "dkim.h"

#define KEY_OWNER "sluiceq"
#define TXT_CHUNK 255

static char *
dkim_dir(const char *domain)
{
	return domain ? ipath2("dkim", domain) : ipath("dkim");
}

static char *
key_path(const char *domain, const char *sel)
{
	return str_join(str_join(str_join(dkim_dir(domain), "/"), sel), ".pem");
}

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* the local domain argument, lower case; exit 1 when it is not one */
static char *
domain_arg(const char *arg, int must_be_local)
{
	char *d = str_join("", arg);
	const char *why;

	lower(d);
	if ((why = domain_check(d)))
		usage_fail("dkim: ", arg, ": ", why, NULL);
	if (must_be_local && !domain_is_local(d))
		usage_fail("dkim: ", d, " is not a local domain "
		    "(sluice-conf domain add ", d, ")", NULL);
	return d;
}

/* the current selectors of domain into rsa and ed (each at most
 * DKIM_SELECTOR_MAX); 0 when the domain has no keys */
static int
current_get(const char *domain, char *rsa, char *ed)
{
	stralloc s = {0};
	char *sp, *nl;

	file_get(str_join(dkim_dir(domain), "/current"), &s, 0);
	if (!s.len)
		return 0;
	stralloc_need(stralloc_0(&s));
	sp = strchr(s.s, ' ');
	nl = strchr(s.s, '\n');
	if (!sp || !nl || sp > nl || (size_t)(sp - s.s) > DKIM_SELECTOR_MAX ||
	    (size_t)(nl - sp - 1) > DKIM_SELECTOR_MAX)
		usage_fail("dkim: ", dkim_dir(domain), "/current is damaged", NULL);
	memcpy(rsa, s.s, (size_t)(sp - s.s));
	rsa[sp - s.s] = 0;
	memcpy(ed, sp + 1, (size_t)(nl - sp - 1));
	ed[nl - sp - 1] = 0;
	stralloc_free(&s);
	return 1;
}

/* a selector not yet used for domain: PREFIX + date (+ a letter) */
static char *
selector_new(const char *domain, char prefix)
{
	char sel[DKIM_SELECTOR_MAX + 1];
	time_t now = time(0);
	struct tm *tm = gmtime(&now);
	char c;

	if (!tm || !strftime(sel + 1, 9, "%Y%m%d", tm))
		sys_fail("dkim: unable to read the date", NULL);
	sel[0] = prefix;
	sel[9] = 0;
	for (c = 'a'; exists(key_path(domain, sel)); c++) {
		if (c > 'z')
			usage_fail("dkim: too many selectors made today", NULL);
		sel[9] = c;
		sel[10] = 0;
	}
	return str_join("", sel);
}

static EVP_PKEY *
key_make(const char *domain, const char *sel, int rsa)
{
	EVP_PKEY *k = rsa ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048) :
	    EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long len;

	if (!k || !b || !PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL))
		sys_fail("dkim: unable to make a key (OpenSSL)", NULL);
	len = BIO_get_mem_data(b, &data);
	if (len <= 0)
		sys_fail("dkim: unable to encode a key", NULL);
	file_put(key_path(domain, sel), data, (size_t)len, 0400, KEY_OWNER, 0);
	BIO_free(b);
	return k;
}

/* print "SEL._domainkey.DOMAIN. IN TXT "..." "..."" */
static void
record_print(const char *domain, const char *sel, EVP_PKEY *k)
{
	stralloc txt = {0};
	size_t i;

	if (dkim_txt_record(k, &txt) < 0)
		sys_fail("dkim: unable to encode a public key", NULL);
	buffer_puts(buffer_1, sel);
	buffer_puts(buffer_1, "._domainkey.");
	buffer_puts(buffer_1, domain);
	buffer_puts(buffer_1, ". IN TXT");
	for (i = 0; i < txt.len; i += TXT_CHUNK) {
		size_t n = txt.len - i < TXT_CHUNK ? txt.len - i : TXT_CHUNK;

		buffer_puts(buffer_1, " \"");
		buffer_put(buffer_1, txt.s + i, n);
		buffer_puts(buffer_1, "\"");
	}
	buffer_puts(buffer_1, "\n");
	stralloc_free(&txt);
}

static EVP_PKEY *
key_read(const char *domain, const char *sel)
{
	struct dkim_key k;

	if (dkim_key_load(&k, key_path(domain, sel), domain, sel) < 0)
		sys_fail("dkim: unable to read ", key_path(domain, sel), NULL);
	return k.pkey;
}

/* print the records of the current keys of domain; 0 when it has none */
int
dkim_records_print(const char *domain)
{
	char rsa[DKIM_SELECTOR_MAX + 1], ed[DKIM_SELECTOR_MAX + 1];
	EVP_PKEY *k;

	if (!current_get(domain, rsa, ed))
		return 0;
	k = key_read(domain, rsa);
	record_print(domain, rsa, k);
	EVP_PKEY_free(k);
	k = key_read(domain, ed);
	record_print(domain, ed, k);
	EVP_PKEY_free(k);
	return 1;
}

static void
keys_new(const char *domain)
{
	char *rsa, *ed, *cur;
	EVP_PKEY *k;

	dir_make(dkim_dir(0), 0700, KEY_OWNER, 0);
	dir_make(dkim_dir(domain), 0700, KEY_OWNER, 0);
	rsa = selector_new(domain, 'r');
	ed = selector_new(domain, 'e');
	k = key_make(domain, rsa, 1);
	EVP_PKEY_free(k);
	k = key_make(domain, ed, 0);
	EVP_PKEY_free(k);
	cur = str_join(str_join(str_join(rsa, " "), ed), "\n");
	file_put(str_join(dkim_dir(domain), "/current"), cur, strlen(cur), 0600,
	    KEY_OWNER, 0);
	buffer_puts(buffer_1, "; publish these records, then mail from ");
	buffer_puts(buffer_1, domain);
	buffer_puts(buffer_1, " is signed with both keys\n");
	dkim_records_print(domain);
}

static void
dkim_list(void)
{
	DIR *d = opendir(dkim_dir(0));
	struct dirent *e;

	if (!d) {
		if (errno == ENOENT)
			return;
		sys_fail("dkim: unable to read ", dkim_dir(0), NULL);
	}
	while ((e = readdir(d))) {
		char rsa[DKIM_SELECTOR_MAX + 1], ed[DKIM_SELECTOR_MAX + 1];
		DIR *sd;
		struct dirent *f;

		if (e->d_name[0] == '.' || !current_get(e->d_name, rsa, ed))
			continue;
		if (!(sd = opendir(dkim_dir(e->d_name))))
			sys_fail("dkim: unable to read ", dkim_dir(e->d_name), NULL);
		while ((f = readdir(sd))) {
			size_t n = strlen(f->d_name);
			char *sel;

			if (n < 5 || strcmp(f->d_name + n - 4, ".pem"))
				continue;
			sel = str_join("", f->d_name);
			sel[n - 4] = 0;
			buffer_puts(buffer_1, e->d_name);
			buffer_puts(buffer_1, " ");
			buffer_puts(buffer_1, sel);
			buffer_puts(buffer_1, sel[0] == 'e' ? " ed25519" : " rsa");
			buffer_puts(buffer_1, !strcmp(sel, rsa) || !strcmp(sel, ed) ?
			    " current\n" : " old\n");
		}
		closedir(sd);
	}
	closedir(d);
}

static void
dkim_del(const char *domain, const char *sel)
{
	char rsa[DKIM_SELECTOR_MAX + 1], ed[DKIM_SELECTOR_MAX + 1];
	DIR *d;
	struct dirent *e;

	if (!current_get(domain, rsa, ed))
		usage_fail("dkim: ", domain, " has no keys", NULL);
	if (sel) {
		if (!strcmp(sel, rsa) || !strcmp(sel, ed))
			usage_fail("dkim: ", sel, " is a current selector of ",
			    domain, " (rotate first, or delete the domain's keys)",
			    NULL);
		if (strchr(sel, '/') || !exists(key_path(domain, sel)))
			usage_fail("dkim: ", domain, " has no selector ", sel, NULL);
		if (unlink(key_path(domain, sel)) < 0)
			sys_fail("dkim: unable to remove ", key_path(domain, sel),
			    NULL);
		return;
	}
	/* `current` first: from then on nothing is signed for domain */
	if (unlink(str_join(dkim_dir(domain), "/current")) < 0)
		sys_fail("dkim: unable to remove the keys of ", domain, NULL);
	if (!(d = opendir(dkim_dir(domain))))
		sys_fail("dkim: unable to read ", dkim_dir(domain), NULL);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' &&
		    unlink(str_join(str_join(dkim_dir(domain), "/"), e->d_name)) < 0)
			sys_fail("dkim: unable to remove a key of ", domain, NULL);
	closedir(d);
	if (rmdir(dkim_dir(domain)) < 0)
		sys_fail("dkim: unable to remove ", dkim_dir(domain), NULL);
}

int
cmd_dkim(int argc, char **argv)
{
	static const char use[] = "usage: sluice-conf dkim add DOMAIN | "
	    "rotate DOMAIN | del DOMAIN [SELECTOR] | list";
	char rsa[DKIM_SELECTOR_MAX + 1], ed[DKIM_SELECTOR_MAX + 1];
	char *d;

	if (argc == 2 && !strcmp(argv[1], "list")) {
		dkim_list();
	} else if (argc == 3 && !strcmp(argv[1], "add")) {
		d = domain_arg(argv[2], 1);
		if (current_get(d, rsa, ed))
			usage_fail("dkim: ", d, " has keys already "
			    "(sluice-conf dkim rotate ", d, " makes new ones)", NULL);
		keys_new(d);
	} else if (argc == 3 && !strcmp(argv[1], "rotate")) {
		d = domain_arg(argv[2], 1);
		if (!current_get(d, rsa, ed))
			usage_fail("dkim: ", d, " has no keys (dkim add)", NULL);
		keys_new(d);
		buffer_puts(buffer_1, "; keep the old records (");
		buffer_puts(buffer_1, rsa);
		buffer_puts(buffer_1, ", ");
		buffer_puts(buffer_1, ed);
		buffer_puts(buffer_1, ") published for a week, then: "
		    "sluice-conf dkim del ");
		buffer_puts(buffer_1, d);
		buffer_puts(buffer_1, " SELECTOR\n");
	} else if ((argc == 3 || argc == 4) && !strcmp(argv[1], "del")) {
		d = domain_arg(argv[2], 0);
		dkim_del(d, argc == 4 ? argv[3] : 0);
	} else {
		usage_fail(use, NULL);
	}
	buffer_flush(buffer_1);
	return 0;
}
