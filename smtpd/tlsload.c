/*
 * tlsload.c -- load the TLS certificate and key while root, build the
 * context later (tlsload.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "control.h"
#include "sysutil.h"
#include "tlsload.h"
#include "tlsw.h"

#define PEM_MAX (1024 * 1024)

static int certfd = -1, keyfd = -1;
static int tried;
static SSL_CTX *ctx;
static const char *failure;

/* copy a root-only file into a memfd; the fd, or -1 */
static int
copy_to_memfd(const char *path, const char *name)
{
	stralloc sa = {0};
	int fd = -1;

	if (file_read_small(path, &sa, PEM_MAX) == 1) {
		fd = memfd_create(name, MFD_CLOEXEC);
		if (fd >= 0 && write_all(fd, sa.s, sa.len) < 0) {
			close(fd);
			fd = -1;
		}
	}
	if (sa.s)
		explicit_bzero(sa.s, sa.a);
	stralloc_free(&sa);
	return fd;
}

int
tlsload_prepare(const char **err)
{
	if (access(tls_cert_path(), F_OK) < 0 && errno == ENOENT)
		return 0;
	certfd = copy_to_memfd(tls_cert_path(), "cert");
	keyfd = copy_to_memfd(tls_key_path(), "key");
	if (certfd < 0 || keyfd < 0) {
		*err = "cannot read the TLS certificate or key";
		return -1;
	}
	return 1;
}

SSL_CTX *
tlsload_ctx(const char **err)
{
	char cert[40], key[40];

	if (tried) {
		*err = failure;
		return ctx;
	}
	tried = 1;
	failure = "no TLS certificate";
	if (certfd < 0 || keyfd < 0) {
		*err = failure;
		return 0;
	}
	snprintf(cert, sizeof cert, "/proc/self/fd/%d", certfd);
	snprintf(key, sizeof key, "/proc/self/fd/%d", keyfd);
	ctx = tls_server_ctx(cert, key, &failure);
	close(certfd);
	close(keyfd);
	certfd = keyfd = -1;
	*err = failure;
	return ctx;
}
