/*
 * tcpenv.h -- what tcpserver gives a UCSPI server, for servers started
 * another way (systemd socket activation with Accept=yes, where the
 * connected socket is fd 0 and tcpserver is absent): the TCP* variables
 * taken from the socket, and the per-IP rules of a tcprules(1) cdb,
 * followed as `tcpserver -H -R -x FILE` follows them.
 *
 * Rules cdb, as tcprules(1) writes it: the key is an address, the value a
 * list of instructions, each ended by \0: "D" (deny) or "+VAR=VALUE" (set
 * VAR; "+VAR" without '=' removes it); an empty value allows.  The rule
 * used is the first key found of: the client IP (an IPv4-mapped IPv6
 * address as IPv4, as tcpserver shows it), then shorter and shorter
 * prefixes of it that end with a '.', then "".  No rule found: allow.
 * (No TCPREMOTEINFO or =HOST keys: sluice runs tcpserver with -H -R, so
 * those never match there either.)
 */
#ifndef SLUICE_TCPENV_H
#define SLUICE_TCPENV_H

#include <stddef.h>
#include <stralloc.h>

#define TCPRULES_VARS_MAX 64		/* instructions in one rule */
#define TCPRULES_VALUE_MAX 65536	/* bytes of one rule */

enum tcprules_verdict {
	TCPRULES_BAD = -1,	/* malformed rule */
	TCPRULES_DENY = 0,
	TCPRULES_ALLOW = 1
};

/* Pure: check the rule v[0..len) and, unless it denies, call
 * set(arg, name, namelen, value, valuelen) for each variable in order
 * (value NULL: remove the variable).  set returns 0 to go on, -1 to stop
 * (then TCPRULES_BAD).  Deny wins wherever it stands; nothing is set for
 * a rule that denies or is malformed. */
enum tcprules_verdict tcprules_parse(const char *v, size_t len,
    int (*set)(void *arg, const char *name, size_t namelen,
    const char *value, size_t valuelen), void *arg);

/* Under tcpserver (TCPREMOTEIP set) do nothing and return 1; on a fd
 * that is not a TCP socket, without rulesfile, the same.  Else set PROTO=TCP,
 * TCPREMOTEIP, TCPREMOTEPORT, TCPLOCALIP and TCPLOCALPORT from it, then, when rulesfile is not NULL, follow its rule
 * for the client (environment set as it says).  1 go on, 0 the rules
 * deny this client, -1 error (errno; the caller must refuse the
 * connection: an unreadable or malformed rules file fails closed). */
int tcpenv_setup(int fd, const char *rulesfile);

/* The same without touching the environment, for a server that accepts
 * connections itself (sluice-smtpd --pool) and builds each session's
 * environment afresh: vars gets "NAME=VALUE\0" entries in the order they
 * apply (PROTO, TCPREMOTEIP, TCPREMOTEPORT, TCPLOCALIP, TCPLOCALPORT, then
 * the rule's), "NAME\0" for a variable the rule removes.  Returns as
 * tcpenv_setup (on a fd that is not a TCP socket vars stays empty). */
int tcpenv_collect(int fd, const char *rulesfile, stralloc *vars);

/* tcpenv_setup(0, $SLUICE_TCPRULES) for a server's main: a denied client
 * is dropped (one log line, exit 0, as tcpserver drops it); an error is
 * one log line and exit 111. */
void tcpenv_server(void);

#endif
