/*
 * userdb.h -- virtual users, aliases and local domains, as compiled by
 * sluice-conf into cdb files.  One resolver decides where a local address
 * goes, so the SMTP server's RCPT check and local delivery always agree.
 *
 * Files (source text -> compiled cdb; sluice-conf owns the sources):
 *   control/domains   "DOMAIN [programs]"        -> control/domains.cdb
 *       key: lower-case domain; value: option words separated by spaces
 *       ("programs": delivery files may pipe to programs).
 *   users/users       "ADDRESS:HASH:HOME:QUOTA:UID:GID" (mode 0600)
 *                                                 -> users/users.cdb
 *       key: lower-case local@domain; value: HASH\0HOME\0QUOTA\0UID\0GID
 *       HASH is a crypt(3) string ("!" = no login); HOME is the user's
 *       directory (ROOT/mail/DOMAIN/USER), the Maildir is HOME/Maildir and
 *       the per-user delivery file is HOME/.sluice; QUOTA in bytes, 0 none.
 *   users/aliases     "ADDRESS: TARGET, TARGET"   -> users/aliases.cdb
 *       key: lower-case local@domain, or "@domain" for the domain's
 *       catch-all, or "postmaster" (instance-wide postmaster);
 *       value: targets separated by \0.  A target is an address, or a
 *       local part of the same domain.
 *
 * Resolution of local@domain (domain must be local), in order:
 *   0. local is an SRS0 address (srs.h) -> RES_ALIAS for the original
 *      sender when its hash and age check out with control/srssecret,
 *      else RES_NONE (so bounces to forwarded mail find their way back,
 *      and forged ones are refused at RCPT)
 *   1. user local@domain              -> RES_USER, ext ""
 *   2. alias local@domain             -> RES_ALIAS
 *   3. if local contains a delimiter character (recipientdelimiter, and
 *      '-'), split at the first one: base, ext; user base@domain, then
 *      alias base@domain               -> RES_USER / RES_ALIAS with ext
 *   4. catch-all alias @domain         -> RES_ALIAS (key "@domain")
 *   5. local is "postmaster" or "abuse", or domain is the host's own
 *      name (control/me) and local is "root", "mailer-daemon" or the name
 *      of an account of this host (getpwnam)   -> RES_POSTMASTER
 *   otherwise RES_NONE (550 5.1.1 at RCPT).
 */
#ifndef SLUICE_USERDB_H
#define SLUICE_USERDB_H

#include <stddef.h>
#include <stralloc.h>

#define USER_HASH_MAX 255
#define USER_HOME_MAX 1023

struct user {
	char hash[USER_HASH_MAX + 1];
	char home[USER_HOME_MAX + 1];
	unsigned long quota;
	unsigned long uid;
	unsigned long gid;
};

enum { RES_NONE = 0, RES_USER, RES_ALIAS, RES_POSTMASTER };

struct resolved {
	int kind;
	char key[256 + 2];	/* the user or alias key that matched */
	char ext[65];		/* extension after the delimiter, or "" */
	struct user user;	/* RES_USER */
	stralloc targets;	/* RES_ALIAS: \0-separated targets */
};

/* pure: parse a users.cdb value.  1 ok, 0 malformed. */
int user_parse(const char *val, size_t len, struct user *u);

/* 1 found, 0 not, -1 error (errno) */
int user_get(const char *address, size_t len, struct user *u);
int alias_get(const char *key, size_t len, stralloc *targets);
/* 1 local (options into opts, may be NULL), 0 not local, -1 error.
 * The host's own name (control/me) is always local, with no options. */
int domain_local(const char *domain, size_t len, stralloc *opts);

/* Resolve local@domain as above (domain already known to be local,
 * lower-cased; local as parsed).  delims: recipientdelimiter characters.
 * Returns 1 with r->kind set (RES_NONE when unknown), -1 on error. */
int local_resolve(const char *local, const char *domain, const char *delims,
    struct resolved *r);

/* 1 if password matches hash (crypt(3), constant-time compare), else 0.
 * hash NULL (no such user), "!", "*", empty or unusable: 0 after the
 * same work as checking a real hash (a user's hash from users.cdb as the
 * pattern: same method and cost; else one made by password_hash), so
 * that the time taken does not tell whether the user exists or may log
 * in. */
int password_check(const char *hash, const char *password);
/* new salted hash (yescrypt if available, else SHA-512-crypt) into out
 * (USER_HASH_MAX+1 bytes); 1 ok, 0 failure */
int password_hash(const char *password, char *out);

#endif
