/*
 * fuzz_remote_session.c -- libFuzzer target for sluice-remote's SMTP
 * client as a whole: the input is everything a hostile server says (its
 * bytes written in advance into one end of a socket pair, then that end
 * closed), the client runs its dialogue on the other end, delivering a
 * small message to three recipients, with and without credentials.
 * Checks: every recipient ends with a well-formed result or still to do,
 * never two deliveries claimed for a session that did not reach DATA.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "../../remote/remote.h"

static const char msg[] = "Subject: fuzz\n\n.dot\nbody\n";
static int msgfd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* one log line per attempt goes to stderr: run with -close_fd_mask=2 */
	msgfd = memfd_create("msg", 0);
	if (msgfd < 0 || write(msgfd, msg, sizeof msg - 1) != (ssize_t)(sizeof msg - 1))
		abort();
	return 0;
}

/* a host name of 255 octets, the longest `me` can be */
static const char *
long_me(void)
{
	static char me[256];
	size_t i;

	if (!me[0]) {
		for (i = 0; i < 255; i++)
			me[i] = i % 64 == 63 ? '.' : 'm';
		me[255] = 0;
	}
	return me;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rcptstate r[3];
	static struct credentials cred = { "user", "pass" };
	static struct route pin;
	struct delivery d;
	struct job j;
	struct target t;
	int sv[2];
	size_t i;

	if (size > 60000 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 0;
	if (write(sv[1], data, size) != (ssize_t)size)
		abort();
	shutdown(sv[1], SHUT_WR);

	memset(&j, 0, sizeof j);
	j.qid = "fuzz";
	j.sender = size && (data[0] & 1) ? "" : "s@example.org";
	j.domain = "example.net";
	j.length = sizeof msg - 1;
	j.nrcpt = 3;
	j.rcpt[0] = "a@example.net";
	j.rcpt[1] = "b@example.net";
	j.rcpt[2] = "c@example.net";
	memset(&d, 0, sizeof d);
	memset(r, 0, sizeof r);
	d.j = &j;
	d.msgfd = msgfd;
	d.size = sizeof msg;
	d.me = size > 1 && (data[1] & 16) ? long_me() : "me.example.org";
	pin.npin = 1;
	d.route = size > 1 && (data[1] & 32) ? &pin : 0;
	d.timeout = 1;
	d.timeoutconnect = 1;
	d.r = r;
	d.cred = size > 1 && (data[1] & 1) ? &cred : 0;
	d.tls_verify = size > 1 && (data[1] & 2);
	d.eightbit = size > 1 && (data[1] & 4);
	memset(&t, 0, sizeof t);
	t.host = "mx.example.net";
	t.ip.family = 4;
	t.ip.a[0] = 127;
	t.ip.a[3] = 1;
	t.port = 25;

	(void)smtp_attempt_fd(&d, &t, sv[0], size > 1 && (data[1] & 8));	/* closes sv[0] */
	close(sv[1]);
	for (i = 0; i < 3; i++) {
		if (!r[i].status)
			continue;
		if (!strchr("KZD", r[i].status) || strlen(r[i].text) > JOB_TEXT_MAX ||
		    r[i].dsn[0] != (r[i].status == JOB_SENT ? '2' :
		    r[i].status == JOB_DEFERRED ? '4' : '5'))
			abort();
	}
	if (d.tls_ctx) {
		SSL_CTX_free(d.tls_ctx);
		d.tls_ctx = 0;
	}
	return 0;
}
