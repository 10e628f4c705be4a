/*
 * fuzz_smtpsession.c -- libFuzzer target for a whole sluice-smtpd session
 * after the greeting: the command table, MAIL/RCPT, DATA and BDAT
 * streaming through netio's buffer into a queue program, the limits.  The
 * input is the client's side of the conversation, read from a pipe (so
 * every size up to the pipe's capacity is delivered at once); replies go
 * to /dev/null; the queue program is /bin/true.  The first octet picks
 * whether the client may relay and whether `me` is as long as it can be
 * (255 octets: <Postmaster> then makes the longest recipient).  No local domains exist, so RCPT takes the
 * relay path.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../smtpd/smtpd.h"
#include "control.h"
#include "sysutil.h"

static int devnull = -1;

static void
setup(void)
{
	sig_ignore(SIGPIPE);
	setenv("SLUICE_ROOT", "/nonexistent-sluice-fuzz-root", 1);
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct smtpd s;
	int p[2];

	if (devnull < 0)
		setup();
	if (size < 1 || size > 60000 || pipe2(p, O_CLOEXEC) < 0)
		return 0;
	if (write_all(p[1], (const char *)data + 1, size - 1) < 0) {
		close(p[0]);
		close(p[1]);
		return 0;
	}
	close(p[1]);
	memset(&s, 0, sizeof s);
	netio_init(&s.io, p[0], devnull, 5);
	s.mode = MODE_MX;
	if (data[0] & 2) {		/* the longest me: 255 octets */
		memset(s.me, 'f', ME_MAX);
		for (size_t i = 63; i < ME_MAX; i += 64)
			s.me[i] = '.';
		s.me[ME_MAX] = 0;
	} else
		strcpy(s.me, "fuzz.example");
	strcpy(s.ip, "192.0.2.1");
	s.relayclient = data[0] & 1;
	s.lim.databytes = 20000;
	s.lim.maxrcpt = 5;
	s.lim.timeout = 5;
	s.lim.maxbad = 30;
	s.lim.maxauthfail = 2;
	s.lim.maxhops = 5;
	s.queueprog = "/bin/true";
	if (!stralloc_copys(&s.delims, "+") || !stralloc_0(&s.delims))
		abort();
	s.state = ST_INIT;
	session_commands(&s);
	txn_reset(&s);
	close(p[0]);
	stralloc_free(&s.env);
	stralloc_free(&s.delims);
	return 0;
}
