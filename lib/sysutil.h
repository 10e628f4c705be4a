/*
 * sysutil.h -- the small system helpers libowfat does not have: signals,
 * descriptors, waiting, locking, privilege drop, whole reads and writes.
 */
#ifndef SLUICE_SYSUTIL_H
#define SLUICE_SYSUTIL_H

#include <stddef.h>
#include <sys/types.h>

void sig_catch(int sig, void (*handler)(int));	/* no SA_RESTART */
void sig_ignore(int sig);
void sig_default(int sig);
void sig_block(int sig);
void sig_unblock(int sig);

int fd_cloexec(int fd);
int fd_nonblock(int fd);
int fd_blocking(int fd);
int fd_move(int to, int from);	/* dup2 + close from; 0 ok, -1 error */

/* write all of buf (retrying EINTR/short writes): 0 ok, -1 error */
int write_all(int fd, const char *buf, size_t len);
/* read exactly len bytes unless EOF: bytes read, -1 error */
ssize_t read_full(int fd, char *buf, size_t len);
/* fsync a directory (after rename/link in it): 0 ok, -1 error */
int fsync_dir(const char *dir);
/* fsync the directory containing path */
int fsync_parent(const char *path);

/* exclusive flock: lock_ex waits, lock_exnb fails with EWOULDBLOCK */
int lock_ex(int fd);
int lock_exnb(int fd);

/* look up a system user: 1 found, 0 not, -1 error */
int user_ids(const char *name, uid_t *uid, gid_t *gid);
/* When running as root: switch to the named user (setgroups, setgid,
 * setuid) and fail if root could be regained.  When not root: no-op.
 * 0 ok, -1 error (errno; ENOENT for an unknown user). */
int priv_drop(const char *name);
/* priv_drop looks the user up through NSS (about 1 ms per call with
 * libnss_systemd).  Servers started per connection avoid it: when
 * $SLUICE_DROP equals name and $SLUICE_DROP_IDS holds "UID:GID:G1,G2,..."
 * (written into the run scripts by sluice-conf with priv_ids_text), those
 * numbers are used instead.  priv_ids_text: 1 ok, 0 no such user, -1 error */
int priv_ids_text(const char *name, char *out, size_t outlen);
/* setgroups to gid alone, setgid, setuid (as root; no-op otherwise) */
int priv_drop_ids(uid_t uid, gid_t gid);
/* priv_drop without the supplementary groups: the named user with only
 * its primary group (for a process that must not share what the user's
 * other groups may read).  0 ok, -1 error (errno). */
int priv_drop_alone(const char *name);

/* monotonic milliseconds */
unsigned long long now_ms(void);

#endif
