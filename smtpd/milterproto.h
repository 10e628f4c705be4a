/*
 * milterproto.h -- the Sendmail milter protocol, version 6, as the MTA
 * speaks it: packet framing, the parser of a filter's replies, and the
 * header edits a filter may ask for.  Pure functions over bytes: every
 * socket, timeout and policy decision is milter.c's.
 *
 * A packet is a 4-octet length in network order (command octet + data),
 * the command octet, then the data.  Strings in the data end in a NUL.
 * Replies we understand (everything else is a protocol error):
 *   O version(4) actions(4) protocol(4) [macro lists, ignored]
 *   c continue   a accept   r reject   t tempfail   d discard
 *   p progress (keep waiting)   s skip (the rest of the body)
 *   y "CODE X.Y.Z text\0"            reply with this text
 *   h name\0 value\0                 add a header field at the end
 *   i index(4) name\0 value\0        insert one at position index (0 = top)
 *   m index(4) name\0 value\0        change the index-th (from 1) field of
 *                                    that name; an empty value deletes it
 *   b data                           a chunk of the replacement body
 *   q reason\0                       quarantine
 *   + - 2 e                          recipient and sender changes: parsed,
 *                                    never negotiated, so refused by milter.c
 */
#ifndef SLUICE_MILTERPROTO_H
#define SLUICE_MILTERPROTO_H

#include <stddef.h>
#include <stralloc.h>

#define MILTER_VERSION		6
#define MILTER_PACKET_MAX	(256 * 1024)	/* longest reply accepted */
#define MILTER_CHUNK		65535		/* body chunk we send */
#define MILTER_NAME_MAX		255		/* header field name */
#define MILTER_VALUE_MAX	(64 * 1024)	/* header field value */
#define MILTER_FIELDS_MAX	10000		/* header fields in a message */

/* actions we offer (SMFIF_*) */
#define SMFIF_ADDHDRS		0x01
#define SMFIF_CHGBODY		0x02
#define SMFIF_CHGHDRS		0x10
#define SMFIF_QUARANTINE	0x20
#define MILTER_ACTIONS	(SMFIF_ADDHDRS | SMFIF_CHGBODY | SMFIF_CHGHDRS | \
	SMFIF_QUARANTINE)

/* protocol flags (SMFIP_*): steps a filter may skip or not answer */
#define SMFIP_NOCONNECT	0x1
#define SMFIP_NOHELO	0x2
#define SMFIP_NOMAIL	0x4
#define SMFIP_NORCPT	0x8
#define SMFIP_NOBODY	0x10
#define SMFIP_NOHDRS	0x20
#define SMFIP_NOEOH	0x40
#define SMFIP_NR_HDR	0x80
#define SMFIP_NOUNKNOWN	0x100
#define SMFIP_NODATA	0x200
#define SMFIP_SKIP	0x400
#define SMFIP_NR_CONN	0x1000
#define SMFIP_NR_HELO	0x2000
#define SMFIP_NR_MAIL	0x4000
#define SMFIP_NR_RCPT	0x8000
#define SMFIP_NR_DATA	0x10000
#define SMFIP_NR_UNKN	0x20000
#define SMFIP_NR_EOH	0x40000
#define SMFIP_NR_BODY	0x80000
#define MILTER_PROTOCOL	0xFF7FFUL	/* all of the above */

struct mp_msg {
	char cmd;
	unsigned long index;		/* i, m */
	const char *name;		/* h, i, m (NUL-terminated) */
	size_t namelen;
	const char *value;		/* h, i, m, y, q: NUL-terminated; b */
	size_t valuelen;
	unsigned long version, actions, protocol;	/* O */
};

enum { MP_OK = 0, MP_BAD = -1 };

/* parse one packet's payload (command octet and data, without the length) */
int mp_parse(const char *pkt, size_t len, struct mp_msg *m);
/* a y reply's text: "4xx" or "5xx", then nothing or a space and printable
 * text, at most 512 octets.  1 ok */
int mp_replycode_ok(const char *s, size_t len);
/* append a packet to out.  1 ok, 0 out of memory */
int mp_put(stralloc *out, char cmd, const char *data, size_t len);
/* append a 4-octet number in network order.  1 ok, 0 out of memory */
int mp_put32(stralloc *out, unsigned long v);

/*
 * The header section as a list of fields, for the edits.  Each field is
 * its whole text, folding kept, ending in LF ("Name: value\n\tmore\n").
 */
struct mp_field {
	stralloc text;
	size_t namelen;
};

struct mp_header {
	struct mp_field *f;
	size_t n, cap;
};

/* split a header section (LF line ends, without the empty line) into h.
 * 1 ok, 0 too many fields or out of memory */
int mp_header_load(struct mp_header *h, const char *buf, size_t len);
/* apply an h, i or m reply.  1 ok, 0 a bad name or value (the filter
 * misbehaves), -1 out of memory */
int mp_header_edit(struct mp_header *h, const struct mp_msg *m);
/* the value of field i as a filter gets it: after the colon, without the
 * one space that follows it and without the final LF */
void mp_field_value(const struct mp_field *f, const char **v, size_t *len);
void mp_header_free(struct mp_header *h);

#endif
