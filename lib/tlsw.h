/*
 * tlsw.h -- OpenSSL contexts with sluice's defaults.
 *
 * Both sides: TLS 1.2 minimum, no renegotiation, no compression.  Server:
 * no session tickets and no session cache (each tcpserver child is its own
 * process, nothing could be resumed), certificate and key from the
 * instance's tls/ directory, loaded before privileges are dropped.
 * Client: SNI and host name verification when asked for.
 * The handshake itself, with its timeout, is in netio.
 */
#ifndef SLUICE_TLSW_H
#define SLUICE_TLSW_H

#include <stddef.h>
#include <openssl/ssl.h>

/* NULL on failure, with *err a one-line reason */
SSL_CTX *tls_server_ctx(const char *certfile, const char *keyfile,
    const char **err);
/* verify: 1 to check the peer's chain against the system CAs (or cafile
 * when non-NULL); 0 for opportunistic TLS */
SSL_CTX *tls_client_ctx(int verify, const char *cafile, const char **err);
/* SHA-256 of the peer's certificate (DER) into out[32]: 0, or -1 when
 * there is no certificate */
int tls_peer_sha256(SSL *ssl, unsigned char *out);
/* "TLSv1.3 TLS_AES_256_GCM_SHA384 256" into out (NUL-terminated) */
void tls_describe(SSL *ssl, char *out, size_t outlen);
/* the instance's certificate paths: ROOT/tls/cert.pem, ROOT/tls/key.pem */
const char *tls_cert_path(void);
const char *tls_key_path(void);

#endif
