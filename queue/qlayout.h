/*
 * qlayout.h -- create the queue layout inside ROOT/queue, idempotently.
 *
 * Made by sluice-start as root before it drops privileges, and by
 * sluice-queue when it finds a piece missing.  Directories are mode 02770
 * (setgid, so every file gets group sluiceq whoever injects it), the
 * trigger FIFO 0660; as root they are chowned to sluiceq:sluiceq and
 * ROOT/queue is made setgid.  A setuid caller (sluice-queue) creates
 * nothing before ROOT/queue is setgid (EPERM), since what it made would
 * get its caller's group.
 *
 * Nothing is followed or changed by name: a piece that is a symbolic link
 * or not of its type (a directory, the FIFO) is refused with QL_ODD and
 * left alone, since sluiceq can replace anything inside ROOT/queue.
 */
#ifndef SLUICE_QLAYOUT_H
#define SLUICE_QLAYOUT_H

#define QUEUE_USER	"sluiceq"
#define QL_ODD		(-2)	/* a piece is a link or of the wrong type */

/* Create what is missing under qdir ("." for the current directory).
 * 0 ok, -1 error (errno), QL_ODD; *what names the piece. */
int qlayout_ensure(const char *qdir, const char **what);

/* Open ROOT/queue/trigger (cwd: the queue) for writing, without blocking
 * and without following a link: the descriptor, -1 (errno; ENXIO when
 * nobody reads it: the manager is not running) or QL_ODD when it is not
 * a FIFO. */
int qlayout_trigger_open(void);

#endif
