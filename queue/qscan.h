/*
 * qscan.h -- reading queue files from disk: one file's head and tail, and
 * every message id in mess/.  Used by sluice-send and the queue tools;
 * the parsing itself is qfile.h.
 */
#ifndef SLUICE_QSCAN_H
#define SLUICE_QSCAN_H

#include <dirent.h>
#include <stddef.h>

/* Read the open queue file: *msglen from the head, the tail (envelope
 * and journal, NUL-terminated, malloc'd) into *tail.  1 ok, 0 not a
 * well-formed queue file, -1 error (errno). */
int qfile_read(int fd, unsigned long *msglen, char **tail, size_t *taillen);

/* opendir of name in dfd (AT_FDCWD: cwd) that never follows a symbolic
 * link in its last component (root reads the queue, which sluiceq and
 * sluices can change); 0 with errno on failure */
DIR *qscan_fdopendir(int dfd, const char *name);

/* call fn for every valid queue id in mess/ (cwd: the queue); the
 * function may load or remove the file.  0 ok, -1 a bucket unreadable. */
int qscan_ids(void (*fn)(const char *id, void *ctx), void *ctx);

#endif
