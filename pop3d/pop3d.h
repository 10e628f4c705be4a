/*
 * pop3d.h -- the parts of sluice-pop3d and how they talk to each other.
 *
 * Three processes serve one connection (see main.c for the whole picture):
 *   P  the parent, root in a root instance: never reads the network;
 *      checks credentials (auth.c) and starts B for a good login.
 *   A  the front (front.c, relay.c), as sluiced: TLS, greeting, CAPA,
 *      STLS and the AUTHORIZATION state; after login it relays bytes
 *      between the client and B.
 *   B  the mailbox (mailbox.c, trans.c), as the mailbox owner, chrooted
 *      into the Maildir: the TRANSACTION and UPDATE states.
 * A and P talk over a SOCK_SEQPACKET pair (ctl.c), one message each way
 * per login attempt; B gets a stream socket whose other end P hands to A.
 */
#ifndef SLUICE_POP3D_H
#define SLUICE_POP3D_H

#include <stddef.h>
#include "packet.h"
#include <sys/types.h>
#include <openssl/ssl.h>

#include "pop3cmd.h"
#include "userdb.h"

struct pop3conf {
	unsigned long timeout;		/* timeoutpop3d, seconds */
	unsigned long maxauth;		/* maxauthfailures */
	unsigned long faildelay;	/* authfaildelay, seconds */
	unsigned long maxbad;		/* maxbadcommands */
	int plaintext;			/* pop3plaintext */
	int implicit_tls;		/* POP3D_MODE=tls */
	SSL_CTX *ctx;			/* NULL: no TLS available */
	const char *ip;			/* the client's address, for logs */
	const char *me;			/* host name for the greeting */
	char **checkpw;			/* checkpassword command, or NULL */
	const char *self;		/* our own binary (checkpassword) */
};

/* A -> P: 'A' USER \0 PASS \0.  P -> A: one of these bytes, with the
 * mailbox socket passed along with CTL_OK. */
#define CTL_OK		'+'
#define CTL_BAD		'-'
#define CTL_LIMIT	'X'	/* bad, and the failure limit is reached */
#define CTL_TEMP	'T'
#define CTL_MSG_MAX	(2 + 2 * (POP3_ARG_MAX + 1))


/* pure: split A's request 'A' USER \0 PASS \0 (len bytes, both fields
 * non-empty, nothing after) into pointers into msg.  1 ok, 0 malformed. */
int ctl_split_login(char *msg, size_t len, char **user, char **pass);

/* a successful login, as P learnt it */
struct login {
	char user[POP3_ARG_MAX + 1];
	char maildir[USER_HOME_MAX + 16];
	uid_t uid;
	gid_t gid;
};

/* P: check user/pass.  1 good (l filled), 0 bad, -1 temporary failure.
 * *why gets a short reason for the log. */
int auth_check(const struct pop3conf *cf, const char *user,
    const char *pass, struct login *l, const char **why);
/* the checkpassword reporter (argv "--report"): writes its uid, gid and
 * HOME to fd 4 for P */
int auth_report(void);

/* A: serve the connection on fd 0/1 until it ends; never returns */
void front_run(const struct pop3conf *cf, int ctl) __attribute__((noreturn));
struct netio;
/* A: relay between the client and the mailbox process; never returns */
void relay_run(struct netio *client, int mbox, unsigned long timeout)
    __attribute__((noreturn));

/* B: serve TRANSACTION and UPDATE on fd sock, cwd = the Maildir;
 * never returns */
void mailbox_run(const struct pop3conf *cf, int sock, const char *user)
    __attribute__((noreturn));

/* A and B: seccomp allowlist for the role, not dumpable, no new
 * privileges (confine.c): 0 ok, -1 error */
enum confine_role { CONFINE_FRONT, CONFINE_MAILBOX };
int confine_self(enum confine_role role);

/* the CAPA lines common to both states */
extern const char pop3_capa_common[];

#endif
