/*
 * anvil.c -- sluice-anvil: the counter service of an instance (protocol in
 * lib/anvil.h).  One long-lived process, supervised as ROOT/service/anvil,
 * that every sluice-smtpd (and sluice-pop3d) asks over the unix socket
 * ROOT/run/anvil/socket: connections per IP, messages per user and per IP
 * per hour, failed logins per IP, the greeting pass cache, DNSBL answers.
 *
 * Privileges: started as root (or the instance owner) with SLUICE_DROP,
 * it becomes that user (sluiced) at once, then creates its socket in
 * ROOT/run/anvil (owned by sluiced, mode 0750: only sluiced's processes
 * can connect).  It reads nothing else and writes only its log on fd 2.
 *
 * Bounds: at most ANVIL_CLIENTS_MAX connected clients (more are closed at
 * once; the server then fails open), ANVIL_TABLE_MAX counters (when full,
 * the one nearest its expiry goes), requests of ANVIL_LINE_MAX octets
 * (longer: the client is dropped).  Memory is reserved once at start
 * (about 24 MB of address space) and touched only as the table fills.
 * All times are monotonic seconds.
 *
 * Exit: 111 when the socket cannot be made; otherwise it runs until killed.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "anvil.h"
#include "control.h"
#include "decimal.h"
#include "exitcodes.h"
#include "logmsg.h"
#include "sysutil.h"

#define HASH_SIZE 32768		/* buckets; power of two */
#define TTL_MAX (7 * 86400UL)
#define EVICT_SAMPLE 16		/* entries looked at to make room */

struct entry {
	char key[ANVIL_KEY_MAX + 8];	/* "c:" / "p:" prefix + key */
	unsigned long count;
	unsigned long expires;	/* monotonic s; 0 = held by connections */
	int next;		/* chain, or the free list; -1 ends */
	int used;
};

struct client {
	int fd;
	size_t len;
	char buf[ANVIL_LINE_MAX];
	int conn;		/* entry index of its "conn" registration */
};

static struct entry *tab;
static int bucket[HASH_SIZE];
static int freelist = -1;	/* entries given back */
static int hiwater;		/* entries never used start here */
static unsigned long nused;
static struct client *cl;
static struct pollfd *pfd;
static size_t ncl;

static unsigned long
now_s(void)
{
	return (unsigned long)(now_ms() / 1000);
}

static unsigned int
hash(const char *k)
{
	unsigned int h = 5381;

	while (*k)
		h = (h * 33) ^ (unsigned char)*k++;
	return h & (HASH_SIZE - 1);
}

static void
unlink_entry(int i)
{
	int *p = &bucket[hash(tab[i].key)];

	while (*p != i)
		p = &tab[*p].next;
	*p = tab[i].next;
	tab[i].used = 0;
	tab[i].next = freelist;
	freelist = i;
	nused--;
}

static int
expired(const struct entry *e, unsigned long now)
{
	return e->expires && e->expires <= now;
}

static unsigned int
rnd(void)
{
	static unsigned int x = 2463534242U;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

/* the table is full: of EVICT_SAMPLE entries picked at random, drop the
 * one expiring first (expired ones first of all), as Redis does: constant
 * time per new key, where a scan of the whole table would let a flood of
 * new addresses cost a full scan each.  Connection registrations (no
 * expiry) are never dropped; they end with their clients. */
static void
make_room(unsigned long now)
{
	int i, k, victim = -1;

	/* rounds of EVICT_SAMPLE picks (at most four), until one finds a
	 * candidate; an expired entry ends the search at once */
	for (k = 0; k < 4 * EVICT_SAMPLE; k++) {
		if (k && k % EVICT_SAMPLE == 0 && victim >= 0)
			break;
		i = (int)(rnd() % (unsigned int)hiwater);
		if (!tab[i].used || !tab[i].expires)
			continue;
		if (victim < 0 || tab[i].expires < tab[victim].expires)
			victim = i;
		if (expired(&tab[i], now))
			break;
	}
	if (victim >= 0)
		unlink_entry(victim);
}

/* the live entry for key, or -1; create it (count 0) when asked */
static int
lookup(const char *key, int create, unsigned long ttl)
{
	unsigned long now = now_s();
	unsigned int h = hash(key);
	int i;

	for (i = bucket[h]; i >= 0; i = tab[i].next)
		if (!strcmp(tab[i].key, key))
			break;
	if (i >= 0 && expired(&tab[i], now)) {
		unlink_entry(i);
		i = -1;
	}
	if (i >= 0 || !create)
		return i;
	if (freelist < 0 && hiwater < ANVIL_TABLE_MAX)
		i = hiwater++;
	else {
		if (freelist < 0)
			make_room(now);
		if (freelist < 0)
			return -1;
		i = freelist;
		freelist = tab[i].next;
	}
	memset(&tab[i], 0, sizeof tab[i]);
	strcpy(tab[i].key, key);	/* bounded by anvil_words */
	tab[i].used = 1;
	tab[i].expires = ttl ? now + ttl : 0;
	tab[i].next = bucket[h];
	bucket[h] = i;
	nused++;
	return i;
}

static int
ttl_parse(const char *s, unsigned long *ttl)
{
	return decimal_parse(s, strlen(s), 7, ttl) && *ttl > 0 &&
	    *ttl <= TTL_MAX;
}

static void
key_join(char *out, const char *prefix, const char *key)
{
	strcpy(out, prefix);
	strcat(out, key);
}

/* answer one request of client c into out */
static void
handle(struct client *c, char *line, char *out)
{
	char *w[5], key[ANVIL_KEY_MAX + 8], n1[21], n2[21];
	unsigned long ttl, v;
	int n = anvil_words(line, w, 5), i;

	strcpy(out, "error");
	if (n < 2)
		return;
	if (!strcmp(w[0], "conn") && n == 2 && c->conn < 0) {
		key_join(key, "c:", w[1]);
		if ((i = lookup(key, 1, 0)) < 0)
			return;
		tab[i].count++;
		c->conn = i;
		key_join(key, "p:", w[1]);
		strcpy(out, ulong_str(n1, tab[i].count));
		strcat(out, lookup(key, 0, 0) >= 0 ? " 1" : " 0");
		return;
	}
	if (strchr("cp", w[1][0]) && w[1][1] == ':')
		return;		/* those names are the server's own */
	key_join(key, "", w[1]);
	if (!strcmp(w[0], "get") && n == 2) {
		i = lookup(key, 0, 0);
		strcpy(out, ulong_str(n1, i < 0 ? 0 : tab[i].count));
	} else if (!strcmp(w[0], "add") && n == 3 && ttl_parse(w[2], &ttl)) {
		if ((i = lookup(key, 1, ttl)) >= 0)
			strcpy(out, ulong_str(n1, ++tab[i].count));
	} else if (!strcmp(w[0], "set") && n == 4 && ttl_parse(w[3], &ttl) &&
	    decimal_parse(w[2], strlen(w[2]), 9, &v)) {
		if ((i = lookup(key, 1, ttl)) >= 0) {
			tab[i].count = v;
			tab[i].expires = now_s() + ttl;
			strcpy(out, ulong_str(n2, v));
		}
	} else if (!strcmp(w[0], "pass") && n == 3 && ttl_parse(w[2], &ttl)) {
		key_join(key, "p:", w[1]);
		if ((i = lookup(key, 1, ttl)) >= 0) {
			tab[i].count = 1;
			tab[i].expires = now_s() + ttl;
			strcpy(out, "1");
		}
	}
}

static void
client_drop(size_t k)
{
	struct client *c = &cl[k];

	if (c->conn >= 0 && tab[c->conn].used && !tab[c->conn].expires &&
	    --tab[c->conn].count == 0)
		unlink_entry(c->conn);
	close(c->fd);
	cl[k] = cl[ncl - 1];
	pfd[k + 1] = pfd[ncl];
	ncl--;
}

/* read what client k sent and answer every whole line, in one write
 * (a client that sends many requests and reads no answers fills its
 * socket and is dropped); 0 to drop it */
static int
client_read(size_t k)
{
	struct client *c = &cl[k];
	char out[64], *lf;
	/* a line is at least 2 octets, an answer at most 64 */
	static char replies[(ANVIL_LINE_MAX / 2 + 1) * 64];
	size_t len, nrep = 0;
	ssize_t r;

	r = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (r <= 0)
		return 0;
	c->len += (size_t)r;
	while ((lf = memchr(c->buf, '\n', c->len))) {
		*lf = 0;
		handle(c, c->buf, out);
		len = strlen(out);
		out[len++] = '\n';
		memcpy(replies + nrep, out, len);
		nrep += len;
		len = (size_t)(lf + 1 - c->buf);
		memmove(c->buf, lf + 1, c->len - len);
		c->len -= len;
	}
	if (nrep && send(c->fd, replies, nrep, MSG_NOSIGNAL | MSG_DONTWAIT) !=
	    (ssize_t)nrep)
		return 0;
	return c->len < sizeof c->buf;
}

static void
client_accept(int lfd)
{
	int fd = accept4(lfd, 0, 0, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (ncl >= ANVIL_CLIENTS_MAX) {
		close(fd);	/* the server fails open */
		return;
	}
	cl[ncl].fd = fd;
	cl[ncl].len = 0;
	cl[ncl].conn = -1;
	pfd[ncl + 1].fd = fd;
	pfd[ncl + 1].events = POLLIN;
	ncl++;
}

static int
listen_socket(void)
{
	struct sockaddr_un sun;
	int fd;

	if (instance_sockaddr(&sun, ANVIL_SOCKET) < 0) {
		if (errno == ENOMEM)
			fatal_nomem(EX_SL_TEMP);
		fatal(EX_SL_TEMP, "fatal: socket path too long: ",
		    instance_root(), "/" ANVIL_SOCKET, NULL);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		fatal_sys(EX_SL_TEMP, "fatal: socket", NULL);
	if (unlink(sun.sun_path) < 0 && errno != ENOENT)
		fatal_sys(EX_SL_TEMP, "fatal: cannot remove ", sun.sun_path,
		    NULL);
	umask(007);
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) < 0 ||
	    listen(fd, 256) < 0)
		fatal_sys(EX_SL_TEMP, "fatal: cannot listen on ", sun.sun_path,
		    NULL);
	return fd;
}

static void
tables_make(void)
{
	int i;

	tab = calloc(ANVIL_TABLE_MAX, sizeof *tab);
	cl = calloc(ANVIL_CLIENTS_MAX, sizeof *cl);
	pfd = calloc(ANVIL_CLIENTS_MAX + 1, sizeof *pfd);
	if (!tab || !cl || !pfd)
		fatal_nomem(EX_SL_TEMP);
	for (i = 0; i < HASH_SIZE; i++)
		bucket[i] = -1;
}

int
main(int argc, char **argv)
{
	const char *drop = getenv("SLUICE_DROP");
	size_t k;
	int lfd;

	log_init("sluice-anvil");
	if (argc > 1)
		fatal(EX_SL_USAGE, "usage: sluice-anvil", NULL);
	sig_ignore(SIGPIPE);
	if (drop && *drop && priv_drop(drop) < 0)
		fatal_sys(EX_SL_TEMP, "fatal: cannot become ", drop, NULL);
	if (getuid() == 0 || geteuid() == 0)
		fatal(EX_SL_TEMP, "fatal: will not run as root (set SLUICE_DROP)",
		    NULL);
	tables_make();
	lfd = listen_socket();
	pfd[0].fd = lfd;
	pfd[0].events = POLLIN;
	log_line("started", NULL);
	for (;;) {
		if (poll(pfd, ncl + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			fatal_sys(EX_SL_TEMP, "fatal: poll", NULL);
		}
		for (k = ncl; k-- > 0; )
			if (pfd[k + 1].revents && !client_read(k))
				client_drop(k);
		if (pfd[0].revents & POLLIN)
			client_accept(lfd);
	}
}
