/*
 * spawner.h -- the loop shared by sluice-local and sluice-remote.
 *
 * The queue manager's starter gives each delivery program one end of a
 * SOCK_SEQPACKET socket as fd 0 (see job.h).  spawner_loop reads job
 * packets and forks one child per job (fork only, no exec: the program
 * is already loaded, so a job costs a fork).  The child calls deliver(),
 * which must fill one result per recipient, sends the result packets on the
 * shared socket (job_result_send: as many as the size takes; packets are
 * atomic and carry the job id and FIRST, so children may interleave) and
 * exits.  The loop never waits for a delivery: the manager bounds
 * concurrency.  It ends when the manager closes the socket, after its
 * children are done; as nobody can record their results any more, it
 * sends them SIGTERM first.
 *
 * One-shot mode for tests and administrators: spawner_main with
 * arguments `-1 KIND SENDER DOMAIN RCPT...` delivers the message read
 * from fd 0 (a regular file, or it is copied to a temporary file first)
 * and prints the result lines on fd 1 (the job's queue id is then
 * "oneshot": delivery programs must not treat it as a real queue id, e.g.
 * for idempotency keys); exit 0 if all K, 100 if any D and
 * no Z, 111 if any Z.
 */
#ifndef SLUICE_SPAWNER_H
#define SLUICE_SPAWNER_H

#include <stralloc.h>
#include "job.h"

/* deliver j; msgfd is the message; append one job_result_add() per
 * recipient to res (already started).  Runs in a forked child. */
typedef void (*deliver_fn)(const struct job *j, int msgfd, stralloc *res);

/* never returns; exit status as described above */
void spawner_main(int argc, char **argv, deliver_fn deliver) __attribute__((noreturn));

#endif
