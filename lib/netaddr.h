/*
 * netaddr.h -- IP addresses, CIDR blocks and host[:port] strings.
 * Pure functions over bytes.
 */
#ifndef SLUICE_NETADDR_H
#define SLUICE_NETADDR_H

#include <stddef.h>

struct ipaddr {
	int family;		/* 4 or 6 */
	unsigned char a[16];	/* 4 or 16 bytes used */
};

struct cidr {
	struct ipaddr net;
	unsigned int bits;	/* prefix length */
};

struct hostport {
	char host[256];		/* name or IP text (no brackets) */
	int is_ip;
	struct ipaddr ip;	/* when is_ip */
	unsigned int port;
};

/* parse an IPv4 or IPv6 address (whole string).  1 ok, 0 bad. */
int ip_parse(const char *s, size_t len, struct ipaddr *ip);
/* text form; out holds 46 bytes; returns length */
size_t ip_format(const struct ipaddr *ip, char *out);
/* "IP" or "IP/BITS"; host bits must be zero.  1 ok, 0 bad. */
int cidr_parse(const char *s, size_t len, struct cidr *c);
/* 1 if ip is inside c (IPv4-mapped IPv6 addresses match IPv4 blocks) */
int cidr_match(const struct cidr *c, const struct ipaddr *ip);
/* "host", "host:port", "IP", "IP:PORT", "[IPv6]", "[IPv6]:PORT";
 * port 1..65535, default defport.  1 ok, 0 bad. */
int hostport_parse(const char *s, size_t len, unsigned int defport,
    struct hostport *hp);
/* the same, but the host must be an IP address */
int hostport_parse_ip(const char *s, size_t len, unsigned int defport,
    struct hostport *hp);
/* 1 if ip (text, as in TCPREMOTEIP) is inside one of the CIDR lines in
 * lines (NUL-separated, as control_read_lines gives) */
int cidr_list_match(const char *lines, size_t len, const char *iptext);

/* a stream socket address: "unix:/ABSOLUTE/PATH" (at most 107 octets) or
 * "inet:IP:PORT" / "inet:[IPv6]:PORT" (the milters setting) */
struct sockspec {
	int is_unix;
	char path[108];		/* is_unix */
	struct hostport hp;	/* otherwise; hp.is_ip is always 1 */
};
/* 1 ok, 0 bad */
int sockspec_parse(const char *s, size_t len, struct sockspec *sp);

#endif
