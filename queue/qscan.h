/*
 * qscan.h -- reading queue files from disk: one file's head and tail, and
 * every message id in mess/.  Used by sluice-send and the queue tools;
 * the parsing itself is qfile.h.
 */
#ifndef SLUICE_QSCAN_H
#define SLUICE_QSCAN_H

#include <stddef.h>

/* Read the open queue file: *msglen from the head, the tail (envelope
 * and journal, NUL-terminated, malloc'd) into *tail.  1 ok, 0 not a
 * well-formed queue file, -1 error (errno). */
int qfile_read(int fd, unsigned long *msglen, char **tail, size_t *taillen);

/* call fn for every valid queue id in mess/ (cwd: the queue); the
 * function may load or remove the file.  0 ok, -1 a bucket unreadable. */
int qscan_ids(void (*fn)(const char *id, void *ctx), void *ctx);

#endif
