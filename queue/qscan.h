/*
 * qscan.h -- reading queue files from disk: one file's head and tail, and
 * every message id in mess/; appending journal records.  Used by sluice-send and the queue tools;
 * the parsing itself is qfile.h.
 */
#ifndef SLUICE_QSCAN_H
#define SLUICE_QSCAN_H

#include <dirent.h>
#include <stddef.h>

/* Read the open queue file: *msglen from the head, the tail (envelope
 * and journal, NUL-terminated, malloc'd) into *tail.  1 ok, 0 not a
 * well-formed queue file, -1 error (errno).  A tail over QF_TAIL_MAX
 * (a journal that grew before compaction existed) is read in pieces and
 * *tail gets its equivalent: the envelope and the compacted journal
 * (qf_compact), so *taillen is then less than the file's tail. */
int qfile_read(int fd, unsigned long *msglen, char **tail, size_t *taillen);

/* Append records to the queue file at path (relative to the queue),
 * fdatasync'ed when sync.  All or nothing: when the write or the sync
 * fails (a full disk), the file is cut back to its old size, so no torn
 * record is left for the next append to run into.  0 ok, -1 (errno). */
int qfile_append(const char *path, const char *rec, size_t len, int sync);

/* opendir of name in dfd (AT_FDCWD: cwd) that never follows a symbolic
 * link in its last component (root reads the queue, which sluiceq and
 * sluices can change); 0 with errno on failure */
DIR *qscan_fdopendir(int dfd, const char *name);

/* call fn for every valid queue id in mess/ (cwd: the queue); the
 * function may load or remove the file.  0 ok, -1 a bucket unreadable. */
int qscan_ids(void (*fn)(const char *id, void *ctx), void *ctx);

#endif
