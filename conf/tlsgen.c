/*
 * tlsgen.c -- the instance's first certificate: a self-signed P-256 key
 * and X.509v3 certificate for the host name, made with the OpenSSL
 * library (no openssl command needed), so STARTTLS works from the first
 * start; INSTALL explains how to replace it with a real one.  Also the
 * checks that a certificate and key parse and belong together, and that
 * the certificate names the host and does not expire soon.
 *
 * The key is written mode 0600 (root only: servers load it before they
 * drop privileges); the certificate 0644.
 */
#include <string.h>
#include <time.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "conf.h"
#include "logmsg.h"

#define CERT_DAYS 3650

static int
add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, 0, 0, 0);
	e = X509V3_EXT_conf_nid(0, &ctx, nid, value);
	if (!e)
		return 0;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok;
}

static int
cert_fill(X509 *x, EVP_PKEY *k, const char *host)
{
	X509_NAME *name = X509_get_subject_name(x);
	unsigned char serial[8];
	BIGNUM *bn;
	int ok;

	if (RAND_bytes(serial, sizeof serial) != 1)
		return 0;
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof serial, 0);
	ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	BN_free(bn);
	return ok && X509_set_version(x, 2) &&
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
	    X509_gmtime_adj(X509_getm_notAfter(x), 86400L * CERT_DAYS) &&
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
		(const unsigned char *)host, -1, -1, 0) &&
	    X509_set_issuer_name(x, name) &&
	    X509_set_pubkey(x, k) &&
	    add_ext(x, NID_basic_constraints, "critical,CA:FALSE") &&
	    add_ext(x, NID_key_usage, "critical,digitalSignature") &&
	    add_ext(x, NID_ext_key_usage, "serverAuth") &&
	    add_ext(x, NID_subject_alt_name, str_join("DNS:", host)) &&
	    X509_sign(x, k, EVP_sha256()) > 0;
}

static const char *
pem_put(const char *path, BIO *b, int mode)
{
	char *data;
	long len = BIO_get_mem_data(b, &data);

	if (len <= 0)
		return "unable to encode PEM";
	file_put(path, data, (size_t)len, mode, 0, 0);
	return 0;
}

const char *
tls_selfsigned(const char *host, const char *certfile, const char *keyfile)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
	const char *why = 0;

	if (!k || !x || !kb || !cb)
		why = "unable to make a key";
	else if (!cert_fill(x, k, host))
		why = "unable to make a certificate";
	else if (!PEM_write_bio_PrivateKey(kb, k, 0, 0, 0, 0, 0) ||
	    !PEM_write_bio_X509(cb, x))
		why = "unable to encode PEM";
	if (!why)
		why = pem_put(keyfile, kb, 0600);
	if (!why)
		why = pem_put(certfile, cb, 0644);
	BIO_free(kb);
	BIO_free(cb);
	X509_free(x);
	EVP_PKEY_free(k);
	return why;
}

const char *
tls_pair_check(const char *certfile, const char *keyfile)
{
	BIO *b;
	X509 *x = 0;
	EVP_PKEY *k = 0;
	const char *why = 0;

	if ((b = BIO_new_file(certfile, "r"))) {
		x = PEM_read_bio_X509(b, 0, 0, 0);
		BIO_free(b);
	}
	if ((b = BIO_new_file(keyfile, "r"))) {
		k = PEM_read_bio_PrivateKey(b, 0, 0, 0);
		BIO_free(b);
	}
	if (!x)
		why = "tls/cert.pem: missing or not a PEM certificate";
	else if (!k)
		why = "tls/key.pem: missing or not a PEM private key";
	else if (X509_check_private_key(x, k) != 1)
		why = "tls/key.pem does not belong to tls/cert.pem";
	else if (X509_cmp_current_time(X509_get0_notAfter(x)) <= 0)
		why = "tls/cert.pem has expired";
	X509_free(x);
	EVP_PKEY_free(k);
	return why;
}

const char *
tls_cert_check(const char *certfile, const char *host, int days)
{
	BIO *b;
	X509 *x = 0;
	const char *why = 0;
	time_t soon = time(0) + 86400L * days;
	char n[21];

	if ((b = BIO_new_file(certfile, "r"))) {
		x = PEM_read_bio_X509(b, 0, 0, 0);
		BIO_free(b);
	}
	if (!x)
		return "tls/cert.pem: missing or not a PEM certificate";
	if (X509_check_host(x, host, strlen(host), 0, 0) != 1)
		why = str_join(str_join("tls/cert.pem does not name ", host),
		    " (the host name in control/me)");
	else if (X509_cmp_time(X509_get0_notAfter(x), &soon) <= 0)
		why = str_join(str_join("tls/cert.pem expires within ",
		    ulong_str(n, (unsigned long)days)), " days: renew it");
	X509_free(x);
	return why;
}
