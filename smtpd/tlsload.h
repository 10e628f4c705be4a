/*
 * tlsload.h -- the server's TLS context, built only when a client asks
 * for TLS.  Creating an OpenSSL context and parsing the key costs several
 * milliseconds, more than the rest of a plain SMTP session, and the key is
 * readable by root only: so, while still root, tlsload_prepare copies the
 * certificate and key into anonymous memory files (memfd) of this process,
 * and tlsload_ctx later hands those to tls_server_ctx (lib/tlsw.h) through
 * /proc/self/fd.  Nothing else can reach them: the process is not
 * dumpable after the privilege drop, and the copies are closed once used.
 */
#ifndef SLUICE_TLSLOAD_H
#define SLUICE_TLSLOAD_H

#include <openssl/ssl.h>

/* 1 prepared, 0 no certificate (no TLS), -1 error with *err */
int tlsload_prepare(const char **err);
/* the context, built on first use; NULL with *err on failure */
SSL_CTX *tlsload_ctx(const char **err);

#endif
