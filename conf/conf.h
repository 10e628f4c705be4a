/*
 * conf.h -- what the parts of sluice-conf share: the instance being
 * configured, the text tables with their compiled cdb files, the system
 * users, and the one-line error exits.
 *
 * sluice-conf runs as root (multi-uid instance) or as the instance owner
 * (single-uid development instance).  Every command validates all of its
 * input before it changes anything; a refused command exits 1 with one line
 * on stderr and leaves every file as it was.
 */
#ifndef SLUICE_CONF_H
#define SLUICE_CONF_H

#include <setjmp.h>
#include <stddef.h>
#include <sys/types.h>
#include <stralloc.h>

/* --- conf/util.c: paths, errors, files --- */
extern int conf_multiuid;		/* 1 when run as root */

/* one line on stderr, exit 1 (usage_fail) or 111 with errno (sys_fail) */
void usage_fail(const char *s, ...) __attribute__((noreturn));
/* run undo() before a failure exit (init removes what it made) */
void on_failure(void (*undo)(void));
void sys_fail(const char *s, ...) __attribute__((noreturn));
/* while a trap is set (check), usage_fail and sys_fail print their line
 * and longjmp there instead of exiting; NULL clears it */
void fail_trap(jmp_buf *jb);
char *ipath(const char *rel);		/* ROOT/rel, never freed */
char *ipath2(const char *a, const char *b);	/* ROOT/a/b */
char *str_join(const char *a, const char *b);	/* a b, never freed */
void lower(char *s);
int has_ctl(const char *s, size_t len);	/* control or 8-bit octet */
void conf_lock(void);			/* serialise sluice-conf runs */
void instance_require(void);	/* exit 1 unless ROOT is an instance */
/* write a whole file atomically, owned by user/group (NULL = unchanged) */
void file_put(const char *path, const char *data, size_t len, int mode,
    const char *owner, const char *group);
void file_get(const char *path, stralloc *out, int must_exist);
/* files owned by another user or group (root instance): written under
 * owned_tmp(path), then chowned and renamed into place by owned_commit.
 * With both NULL, or in a single-uid instance, tmp is path itself and
 * commit does nothing. */
char *owned_tmp(const char *path, const char *owner, const char *group);
void owned_commit(const char *tmp, const char *path, const char *owner,
    const char *group);
void dir_make(const char *path, int mode, const char *owner,
    const char *group);
void stralloc_need(int ok);		/* out of memory -> exit 111 */
/* memory freed only at exit (arena_release, registered by main) */
void *conf_alloc(size_t n);
void arena_release(void);
char *sa_keep(stralloc *sa);	/* arena copy, NUL-terminated; frees sa */
/* read one line from stdin (a password): NUL-terminated, no LF/CR */
void stdin_line(stralloc *out, size_t max);

/* --- conf/sysusers.c --- */
struct sysid { const char *name; uid_t uid; gid_t gid; };
void sysusers_create(void);		/* as root: users and groups */
/* uid and gid of a system user in this instance; in a single-uid instance
 * the caller's own ids */
void sys_user(const char *name, uid_t *uid, gid_t *gid);
char *drop_ids(const char *name);	/* "UID:GID:GROUPS" for SLUICE_DROP_IDS */
gid_t sys_group(const char *name);
/* run f(arg) with effective ids of user name (root instance only) */
void as_user(const char *name, void (*f)(void *), void *arg);

/* --- conf/table.c: text source + cdb --- */
struct ftype {
	const char *text;	/* relative path of the text source */
	const char *cdb;	/* relative path of the compiled cdb, or NULL */
	int textmode, cdbmode;
	const char *textowner;	/* owner of the text (NULL: root) */
	const char *cdbgroup;	/* group of the cdb (NULL: root's) */
	/* parse one line: key (lower case) and cdb value; NULL ok or reason */
	const char *(*parse)(const char *line, stralloc *key, stralloc *val);
};

struct tline {
	char *text;		/* the line without LF */
	char *key;		/* NULL for comments and blank lines */
	stralloc val;		/* cdb value: a read-only view into arena
				   memory (never grown or freed) */
};

struct table {
	const struct ftype *ft;
	struct tline *l;
	size_t n, cap;
};

void table_load(struct table *t, const struct ftype *ft);
/* index of key or -1 */
long table_find(const struct table *t, const char *key);
/* add a line (validated with ft->parse; exit 1 when bad or duplicate) */
void table_add(struct table *t, const char *line);
void table_del(struct table *t, long i);
/* index of key, or exit 1 with "WHAT KEY does not exist" */
long table_need(const struct table *t, const char *key, const char *what);
/* replace line i by a new line with the same key */
void table_replace(struct table *t, long i, const char *line);
/* compile the cdb, then write the text source, both atomically */
void table_save(const struct table *t);
/* 0 when the cdb file matches the text source; else a reason */
const char *table_cdb_current(const struct table *t);
/* print the keys (or the whole lines) to stdout */
void table_list(const struct table *t, int whole, const char *suffix);
/* the key line would have in ft (arena memory), or exit 1 with the
 * parser's reason */
char *table_key_of(const struct ftype *ft, const char *line);
/* exit 1 unless arg is one non-empty word without control characters */
void arg_word(const char *arg);

extern const struct ftype ft_domains, ft_users, ft_aliases, ft_routes,
    ft_relay, ft_listen, ft_remoteauth, ft_senders, ft_relaydomains,
    ft_relayrcpts;
extern const struct ftype *const all_tables[];

/* --- validation shared by commands and parsers --- */
/* parse ADDRESS into lower-case "local@domain" (local part restricted to
 * [a-z0-9._+=-] as it names a directory); NULL ok or reason */
const char *mailbox_parse(const char *s, char *out, size_t outlen,
    const char **domain);
const char *domain_check(const char *d);
const char *alias_key_parse(const char *s, char *out, size_t outlen);
const char *alias_target_parse(const char *s, size_t len, int bare_ok,
    char *out);
int domain_is_local(const char *d);
struct user;
/* ADDRESS of an existing user: addr (ADDR_PATH_MAX + 3 octets) gets its
 * key, t the loaded users table, u its entry; returns its line index.
 * Exit 1 for a bad address, an unknown user or a damaged entry. */
long user_entry(const char *arg, char *addr, struct table *t, struct user *u);

/* --- commands --- */
int cmd_init(int argc, char **argv);
int cmd_domain(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_alias(int argc, char **argv);
int cmd_route(int argc, char **argv);
int cmd_relay(int argc, char **argv);
int cmd_remoteauth(int argc, char **argv);
int cmd_sender(int argc, char **argv);
int cmd_relaydomain(int argc, char **argv);
int cmd_relayrcpt(int argc, char **argv);
int cmd_set(int argc, char **argv);
int cmd_unset(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_rebuild(int argc, char **argv);
int cmd_systemd(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_show(int argc, char **argv);
/* conf/owners.c: report each file of a root instance whose owner is not
 * the system user it belongs to (by current ids) */
void check_owners(void (*report)(const char *why),
    const struct table *users, const struct table *listen);
int cmd_auth(int argc, char **argv);
int user_info(const char *address);	/* user info ADDRESS */
int cmd_dkim(int argc, char **argv);	/* conf/dkimcmd.c */
int setting_is_secret(const char *key);	/* conf/setcmds.c */
void srssecret_make(void);		/* a fresh control/srssecret */
int cmd_dns(int argc, char **argv);	/* conf/dnscmd.c */
int dkim_records_print(const char *domain);	/* 0: no keys */
void settings_help(void);

/* --- conf/tlsgen.c --- */
/* self-signed certificate for host into certfile/keyfile; NULL or reason */
const char *tls_selfsigned(const char *host, const char *certfile,
    const char *keyfile);
/* NULL when cert and key exist, parse and match; else a reason */
const char *tls_pair_check(const char *certfile, const char *keyfile);
/* NULL when certfile names host and is valid for days more; else a reason */
const char *tls_cert_check(const char *certfile, const char *host, int days);

/* --- conf/services.c --- */
struct listener {
	const char *name;	/* service directory name */
	const char *portname;	/* name in --ports */
	const char *prog;	/* sluice-smtpd / sluice-pop3d */
	const char *modevar, *mode;	/* SMTPD_MODE=mx ... */
	unsigned int defport;
	const char *what;	/* description */
};
extern const struct listener listeners[];
const struct listener *listener_find(const char *name);
void services_write(const char *bindir);
/* ROOT/service/NAME with run (and log/run, ROOT/log/NAME) */
void service_make(const char *name, const stralloc *run);
/* report(reason) for each problem of the service directories (listen:
 * control/listen loaded, or NULL when it did not parse) */
void services_check(void (*report)(const char *why),
    const struct table *listen);
const char *tcprules_compile(const char *dir);	/* NULL or reason */
char *bin_dir(void);			/* directory of this binary */
char *sh_quote(const char *s);		/* 'single-quoted' shell word */

/* --- conf/ports.c: control/listen, `ports` and `bind` --- */
#define NLISTEN 16		/* at least the entries of listeners[] */
struct portset {
	const char *bind;
	char port[NLISTEN][6];	/* by index in listeners[]; "" = off */
};
void ports_defaults(struct portset *ps);
/* "NAME=PORT|off,..." into ps, or exit 1 naming opt */
void ports_parse(struct portset *ps, const char *opt, const char *spec);
void ports_distinct(const struct portset *ps, const char *opt);
void ports_bind_check(const char *opt, const char *ip);
void listen_write(const struct portset *ps);
/* address and port of a listener in control/listen: 1, or 0 when off */
int listen_get(const char *name, char **ip, char **port);
/* the address a local client dials for a listener bound to ip */
char *listen_connect_ip(const char *ip);
/* a down file and a run script that stops the service */
void service_disable(const char *name);
int cmd_ports(int argc, char **argv);
int cmd_bind(int argc, char **argv);

/* --- conf/apps.c, dovecot.c, webmail.c: the listeners that are not
 * tcpserver (IMAP by Dovecot, webmail by nginx + php-fpm + Roundcube) --- */
/* service directory of such a listener (NULL: none of ours) */
const char *app_service(const char *listener);
/* exit 1 when ps turns on something that cannot be configured here */
void apps_validate(const struct portset *ps);
void apps_write(const char *bin);	/* from control/listen */
void apps_disable_off(const struct portset *ps);
const char *apps_check(void);		/* NULL or the first problem */
void apps_systemd(const char *dir, const char *bin);
/* helpers of apps.c for dovecot.c and webmail.c */
void cats_all(stralloc *sa, ...);	/* strings, NULL-terminated */
int app_on(const char *listener);	/* in control/listen */
void app_run_head(stralloc *sa, const char *what, const char *bin);
void app_unit(const char *dir, const char *service, const char *what,
    const char *after);
void dovecot_write(const char *bin);
const char *dovecot_check(void);
void dovecot_systemd(const char *dir);
void webmail_write(const char *bin);
const char *webmail_check(void);
void webmail_systemd(const char *dir);

#endif
