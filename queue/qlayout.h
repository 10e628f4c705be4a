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
 */
#ifndef SLUICE_QLAYOUT_H
#define SLUICE_QLAYOUT_H

#define QUEUE_USER	"sluiceq"

/* Create what is missing under qdir ("." for the current directory).
 * 0 ok, -1 error (errno, and *what names the piece). */
int qlayout_ensure(const char *qdir, const char **what);

#endif
