/*
 * tlsw.c -- OpenSSL contexts with sluice's defaults (tlsw.h).
 */
#include <string.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/ssl.h>

#include "control.h"
#include "tlsw.h"

static char certpath[4096], keypath[4096];

static const char *
tls_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/tls/%s", instance_root(), name);
	return buf;
}

const char *
tls_cert_path(void)
{
	return tls_path(certpath, sizeof certpath, "cert.pem");
}

const char *
tls_key_path(void)
{
	return tls_path(keypath, sizeof keypath, "key.pem");
}

static void
common_options(SSL_CTX *ctx)
{
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY);
}

SSL_CTX *
tls_server_ctx(const char *certfile, const char *keyfile, const char **err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx) {
		*err = "cannot create TLS context";
		return 0;
	}
	common_options(ctx);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	if (SSL_CTX_use_certificate_chain_file(ctx, certfile) != 1) {
		*err = "cannot load TLS certificate";
		SSL_CTX_free(ctx);
		return 0;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, keyfile, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		*err = "cannot load TLS key or it does not match the certificate";
		SSL_CTX_free(ctx);
		return 0;
	}
	return ctx;
}

SSL_CTX *
tls_client_ctx(int verify, const char *cafile, const char **err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx) {
		*err = "cannot create TLS context";
		return 0;
	}
	common_options(ctx);
	if (verify) {
		int ok = cafile ? SSL_CTX_load_verify_locations(ctx, cafile, 0)
		    : SSL_CTX_set_default_verify_paths(ctx);
		if (ok != 1) {
			*err = "cannot load trusted certificates";
			SSL_CTX_free(ctx);
			return 0;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, 0);
	} else
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, 0);
	return ctx;
}

int
tls_peer_sha256(SSL *ssl, unsigned char *out)
{
	X509 *cert = SSL_get1_peer_certificate(ssl);
	unsigned int len = 0;
	int ok;

	if (!cert)
		return -1;
	ok = X509_digest(cert, EVP_sha256(), out, &len) == 1 && len == 32;
	X509_free(cert);
	return ok ? 0 : -1;
}

void
tls_describe(SSL *ssl, char *out, size_t outlen)
{
	const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
	int bits = 0;

	if (c)
		SSL_CIPHER_get_bits(c, &bits);
	snprintf(out, outlen, "%s %s %d", SSL_get_version(ssl),
	    c ? SSL_CIPHER_get_name(c) : "none", bits);
}
