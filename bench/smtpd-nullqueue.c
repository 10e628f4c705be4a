/*
 * smtpd-nullqueue.c -- a qmail-queue stand-in for bench/smtpd-accept: reads
 * the message (fd 0) and the envelope (fd 1) to their ends, keeps nothing,
 * exits 0.  Measures sluice-smtpd's own cost without a queue's fsyncs.
 */
#include <unistd.h>

int
main(void)
{
	char buf[65536];

	while (read(0, buf, sizeof buf) > 0)
		;
	while (read(1, buf, sizeof buf) > 0)
		;
	return 0;
}
