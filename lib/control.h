/*
 * control.h -- the instance root and its control files.
 *
 * The instance is found from $SLUICE_ROOT (default /var/sluice).  A setting
 * lives in ROOT/control/KEY as one line of text; a missing file means the
 * default from the settings table.  A file that exists but holds a value
 * outside the key's bounds is a configuration error (return -1, errno
 * EINVAL): programs must then refuse to work (temporary failure) rather
 * than guess.
 */
#ifndef SLUICE_CONTROL_H
#define SLUICE_CONTROL_H

#include <stralloc.h>

#define SLUICE_ROOT_DEFAULT "/var/sluice"

const char *instance_root(void);		/* $SLUICE_ROOT or the default */
void instance_set_root(const char *root);	/* for sluice-conf -d */
/* sa = ROOT "/" rel, NUL-terminated; 1 ok, 0 out of memory */
int instance_path(stralloc *sa, const char *rel);
/* sun = the AF_UNIX address of ROOT "/" rel (sun_path NUL-terminated);
 * 0 ok, -1 error (ENOMEM, or ENAMETOOLONG when it does not fit) */
struct sockaddr_un;
int instance_sockaddr(struct sockaddr_un *sun, const char *rel);

/* Read a setting through the settings table (default when unset).
 * 1 ok, -1 error (errno; EINVAL for a bad value or an unknown key). */
int control_get_uint(const char *key, unsigned long *out);
int control_get_str(const char *key, stralloc *out);	/* NUL-terminated */

/* Read ROOT/control/NAME as lines (any file, not only settings).
 * Lines are stored NUL-terminated one after another in out; comments (#)
 * and blank lines are dropped, surrounding white space trimmed.
 * 1 ok, 0 file missing (out empty), -1 error. */
int control_read_lines(const char *name, stralloc *out);

/* Read a whole small file (at most maxlen bytes) into out.
 * 1 ok, 0 missing, -1 error (errno EFBIG if larger than maxlen). */
int file_read_small(const char *path, stralloc *out, size_t maxlen);

#endif
