/*
 * spawner.h -- the loop shared by sluice-local and sluice-remote.
 *
 * The queue manager's starter gives each delivery program one end of a
 * SOCK_SEQPACKET socket as fd 0 (see job.h).  spawner_loop reads job
 * packets and hands each to a long-lived worker process: a copy of the
 * already loaded program (fork, no exec), kept for a stream of jobs.
 * The parent talks to each worker over a SOCK_SEQPACKET socketpair of
 * its own: a job packet goes there as it came, with the message
 * descriptor attached (SCM_RIGHTS).  The worker calls deliver(), which
 * must fill one result per recipient, sends the result packets to the
 * parent (job_result_send), then says it is idle ("I1" \0 ID \0 KEY \0,
 * KEY what it holds, see hooks below) and waits for the next job.  The
 * parent checks each result packet (this worker's job, the recipients in
 * order, none twice) and passes it on to the manager, so every recipient
 * is answered exactly once: when a worker dies (crash, kill, the hard
 * time limit) the parent answers its unanswered recipients with a
 * temporary failure and the next job gets a new worker.
 *
 * Workers: a new one is forked only when no worker is idle (the manager
 * bounds how many jobs run at once: concurrencylocal/concurrencyremote,
 * so there are never more workers than that); an idle worker exits
 * after SPAWNER_IDLE_S seconds without a job; a worker exits after
 * SPAWNER_JOBS_MAX jobs, and after any job that leaves it in a doubtful
 * state: a descriptor or a child process left behind, another working
 * directory, umask or user id, the heap grown by more than
 * SPAWNER_HEAP_GROWTH, or deliver() called spawner_retire().  A worker
 * never holds the manager's socket (fd 0 is /dev/null in it).
 *
 * The loop never waits for a delivery.  It ends when the manager closes
 * the socket: idle workers are told to exit (their socket closes), the
 * busy ones get SIGTERM, which they ignore as today's children do (the
 * service's SIGTERM must not cut a delivery short), and the parent exits
 * once every worker has exited.
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

#define SPAWNER_IDLE_S		60	/* an idle worker exits after this */
#define SPAWNER_JOBS_MAX	1000	/* jobs per worker, then a new one */
#define SPAWNER_HEAP_GROWTH	(64UL * 1024 * 1024)

/* deliver j; msgfd is the message (the worker closes it afterwards);
 * append one job_result_add() per recipient to res (already started).
 * Runs in a worker process, again and again: what a job allocates,
 * opens or changes must be put back before it returns. */
typedef void (*deliver_fn)(const struct job *j, int msgfd, stralloc *res);

/* what a worker may keep between jobs (sluice-remote: an SMTP
 * connection).  All optional (NULL). */
struct spawner_hooks {
	/* after a job: the key of what is kept ("" nothing).  The parent
	 * gives the next job whose key (the destination domain of a remote
	 * job, compared without case) matches to this worker if it is idle */
	const char *(*held)(void);
	/* the descriptor kept (-1 none): it does not count as a leak, and
	 * when it becomes readable while idle, tick(0) is called */
	int (*held_fd)(void);
	/* while idle: release what has expired (all of it when stop is 1,
	 * before the worker exits); returns milliseconds until it wants to
	 * be called again, or -1 when it holds nothing */
	long (*tick)(int stop);
};

/* set before spawner_main; hooks must stay valid */
void spawner_set_hooks(const struct spawner_hooks *h);

/* from deliver(): this worker exits after the current job (it is in a
 * state the next job should not inherit) */
void spawner_retire(void);

/* never returns; exit status as described above.  oneshot: the one-shot
 * arguments as this program's usage line shows them */
void spawner_main(int argc, char **argv, deliver_fn deliver,
    const char *oneshot) __attribute__((noreturn));

#endif
