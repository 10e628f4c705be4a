/*
 * main.c -- sluice-remote: outbound SMTP delivery.
 *
 * Runs as sluicer, started by sluice-start with the job socket on fd 0
 * (job.h); forks one child per job (spawner.h), each delivering one
 * message to the recipients at one domain (deliver.c).  With
 * `-1 R SENDER DOMAIN RCPT... < message` it delivers once and prints the
 * results (tests, administrators).
 */
#include "spawner.h"

void deliver_remote(const struct job *j, int msgfd, stralloc *res);

int
main(int argc, char **argv)
{
	spawner_main(argc, argv, deliver_remote);
}
