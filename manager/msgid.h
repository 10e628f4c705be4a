/*
 * msgid.h -- find a message's Message-ID in its header, for the log.
 */
#ifndef SLUICE_MSGID_H
#define SLUICE_MSGID_H

#include <stddef.h>

#define MSGID_MAX 128		/* longer ids are cut for the log */

/* Pure: the first Message-ID field of the header in buf[0..len) (LF line
 * ends, the header ends at an empty line or at len), unfolded, as the
 * "<...>" part when there is one; octets outside 0x21..0x7e dropped; cut
 * to MSGID_MAX - 1 octets.  1 and out set (NUL-terminated), or 0. */
int msgid_find(const char *buf, size_t len, char *out);

#endif
