/*
 * table.c -- a configuration table: a text source of one record per line
 * (comments and blank lines kept as written) and, for most tables, its
 * compiled cdb.
 *
 * Loading parses every line with the table's parser; any bad or duplicate
 * line stops sluice-conf with "FILE line N: reason" (exit 1), so no command
 * ever builds on a broken source.  Saving compiles the cdb first and then
 * replaces the text, each atomically (lib/atomicfile), so a running server
 * sees either the old or the new database, never a mixture.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <buffer.h>
#include <cdb_make.h>

#include "conf.h"
#include "atomicfile.h"
#include "logmsg.h"

#define LINE_MAX_TEXT 4096

static char *
dupb(const char *s, size_t len)
{
	char *d = conf_alloc(len + 1);

	memcpy(d, s, len);
	d[len] = 0;
	return d;
}

/* v = a read-only arena copy of s */
static void
view(stralloc *v, const stralloc *s)
{
	v->s = dupb(s->s ? s->s : "", s->len);
	v->len = v->a = s->len;
}

static void
push(struct table *t, char *text, char *key, const stralloc *val)
{
	struct tline *l;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct tline *nl = conf_alloc(cap * sizeof *nl);
		if (t->n)
			memcpy(nl, t->l, t->n * sizeof *nl);
		t->l = nl;
		t->cap = cap;
	}
	l = &t->l[t->n++];
	memset(l, 0, sizeof *l);
	l->text = text;
	l->key = key;
	if (val)
		view(&l->val, val);
}

static int
is_comment(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return *s == 0 || *s == '#';
}

/* parse one line; NULL ok, else the reason */
static const char *
parse_line(const struct ftype *ft, const char *text, size_t len,
    stralloc *key, stralloc *val)
{
	size_t i;

	if (len > LINE_MAX_TEXT)
		return "line too long";
	for (i = 0; i < len; i++)
		if (((unsigned char)text[i] < 32 && text[i] != '\t') ||
		    (unsigned char)text[i] == 127)
			return "control character in line";
	key->len = val->len = 0;
	return ft->parse(text, key, val);
}

static int
cmp_key(const void *a, const void *b)
{
	const struct tline *const *x = a, *const *y = b;

	return strcmp((*x)->key, (*y)->key);
}

static void
check_duplicates(const struct table *t)
{
	const struct tline **v;
	size_t i, n = 0;

	v = conf_alloc((t->n + 1) * sizeof *v);	/* survives a caught failure */
	for (i = 0; i < t->n; i++)
		if (t->l[i].key)
			v[n++] = &t->l[i];
	qsort(v, n, sizeof *v, cmp_key);
	for (i = 1; i < n; i++)
		if (!strcmp(v[i - 1]->key, v[i]->key))
			usage_fail(t->ft->text, ": duplicate entry ", v[i]->key,
			    NULL);
}

void
table_load(struct table *t, const struct ftype *ft)
{
	stralloc raw = {0}, key = {0}, val = {0};
	size_t i, start, lineno = 0;
	char num[21];

	memset(t, 0, sizeof *t);
	t->ft = ft;
	file_get(ipath(ft->text), &raw, 0);
	if (raw.len && memchr(raw.s, 0, raw.len)) {
		stralloc_free(&raw);
		usage_fail(ft->text, ": NUL byte in file", NULL);
	}
	for (start = 0, i = 0; i < raw.len; i++) {
		const char *why;
		char *text;

		if (raw.s[i] != '\n' && i + 1 < raw.len)
			continue;
		lineno++;
		text = dupb(raw.s + start, i - start + (raw.s[i] != '\n'));
		start = i + 1;
		if (is_comment(text)) {
			push(t, text, 0, 0);
			continue;
		}
		why = parse_line(ft, text, strlen(text), &key, &val);
		if (why) {
			/* freed first: check goes on after a failure */
			why = str_join(": ", why);
			stralloc_free(&raw);
			stralloc_free(&key);
			stralloc_free(&val);
			usage_fail(ft->text, " line ", ulong_str(num, lineno),
			    why, NULL);
		}
		push(t, text, dupb(key.s, key.len), &val);
	}
	stralloc_free(&raw);
	stralloc_free(&key);
	stralloc_free(&val);
	check_duplicates(t);
}

long
table_find(const struct table *t, const char *key)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->l[i].key && !strcmp(t->l[i].key, key))
			return (long)i;
	return -1;
}

void
table_add(struct table *t, const char *line)
{
	stralloc key = {0}, val = {0};
	const char *why = parse_line(t->ft, line, strlen(line), &key, &val);

	if (why)
		usage_fail(why, NULL);
	stralloc_need(stralloc_0(&key));
	if (table_find(t, key.s) >= 0)
		usage_fail(key.s, " already exists in ", t->ft->text, NULL);
	push(t, dupb(line, strlen(line)), dupb(key.s, key.len - 1), &val);
	stralloc_free(&key);
	stralloc_free(&val);
}

long
table_need(const struct table *t, const char *key, const char *what)
{
	long i = table_find(t, key);

	if (i < 0)
		usage_fail(what, " ", key, " does not exist", NULL);
	return i;
}

void
table_replace(struct table *t, long i, const char *line)
{
	stralloc key = {0}, val = {0};
	const char *why = parse_line(t->ft, line, strlen(line), &key, &val);

	if (why)
		usage_fail(why, NULL);
	if (key.len != strlen(t->l[i].key) ||
	    memcmp(key.s, t->l[i].key, key.len))
		usage_fail("internal error: replacement changes the key", NULL);
	t->l[i].text = dupb(line, strlen(line));
	view(&t->l[i].val, &val);
	stralloc_free(&key);
	stralloc_free(&val);
}

void
table_del(struct table *t, long i)
{
	memmove(&t->l[i], &t->l[i + 1], (t->n - (size_t)i - 1) * sizeof *t->l);
	t->n--;
}

static void
text_of(const struct table *t, stralloc *out)
{
	size_t i;

	out->len = 0;
	for (i = 0; i < t->n; i++) {
		stralloc_need(stralloc_cats(out, t->l[i].text));
		stralloc_need(stralloc_append(out, "\n"));
	}
}

static void
cdb_save(const struct table *t)
{
	const struct ftype *ft = t->ft;
	const char *path = ipath(ft->cdb);
	char *tmp = owned_tmp(path, 0, ft->cdbgroup);
	struct cdbw w;
	size_t i;
	int ok;

	ok = cdbw_start(&w, tmp, ft->cdbmode) == 0;
	for (i = 0; ok && i < t->n; i++)
		if (t->l[i].key && cdbw_add(&w, t->l[i].key,
		    strlen(t->l[i].key), t->l[i].val.s, t->l[i].val.len) < 0) {
			cdbw_abort(&w);
			ok = 0;
		}
	if (ok && cdbw_finish(&w) < 0)
		ok = 0;
	if (!ok)
		sys_fail("unable to write ", path, NULL);
	owned_commit(tmp, path, 0, ft->cdbgroup);
}

void
table_save(const struct table *t)
{
	stralloc text = {0};

	if (t->ft->cdb)
		cdb_save(t);
	text_of(t, &text);
	file_put(ipath(t->ft->text), text.s, text.len, t->ft->textmode,
	    t->ft->textowner, 0);
	stralloc_free(&text);
}

/* libowfat's cdb_make_finish leaves its hash tables allocated */
static void
cdb_make_release(struct cdb_make *cm)
{
	struct cdb_hplist *h = cm->head, *next;

	for (; h; h = next) {
		next = h->next;
		free(h);
	}
	free(cm->split);
	cm->head = 0;
	cm->split = 0;
}

/* the cdb the table would compile to, built in an anonymous file */
static int
cdb_expected(const struct table *t, stralloc *out)
{
	struct cdb_make cm;
	size_t i;
	int fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	int r;

	if (fd < 0)
		return -1;
	r = cdb_make_start(&cm, fd) < 0 ? -1 : 0;	/* gives an offset */
	for (i = 0; r == 0 && i < t->n; i++)
		if (t->l[i].key)
			r = cdb_make_add(&cm,
			    (const unsigned char *)t->l[i].key,
			    strlen(t->l[i].key),
			    (const unsigned char *)t->l[i].val.s,
			    t->l[i].val.len);
	if (r == 0)
		r = cdb_make_finish(&cm);
	cdb_make_release(&cm);
	if (r == 0) {
		char path[64] = "/proc/self/fd/";
		ulong_str(path + strlen(path), (unsigned long)fd);
		file_get(path, out, 1);
	}
	close(fd);
	return r;
}

const char *
table_cdb_current(const struct table *t)
{
	stralloc want = {0}, have = {0};
	int same;

	if (!t->ft->cdb)
		return 0;
	if (cdb_expected(t, &want) < 0)
		sys_fail("unable to build a cdb in /tmp", NULL);
	file_get(ipath(t->ft->cdb), &have, 0);
	same = want.len == have.len && !memcmp(want.s, have.s, want.len);
	stralloc_free(&want);
	stralloc_free(&have);
	return same ? 0 : "out of date (sluice-conf rebuild recompiles it)";
}

void
table_list(const struct table *t, int whole, const char *suffix)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		const char *s = whole ? t->l[i].text : t->l[i].key;
		if (!t->l[i].key)
			continue;
		if (suffix && (strlen(t->l[i].key) < strlen(suffix) ||
		    strcmp(t->l[i].key + strlen(t->l[i].key) - strlen(suffix),
		    suffix)))
			continue;
		buffer_puts(buffer_1, s);
		buffer_puts(buffer_1, "\n");
	}
	if (buffer_flush(buffer_1) < 0)
		sys_fail("unable to write to stdout", NULL);
}

char *
table_key_of(const struct ftype *ft, const char *line)
{
	stralloc k = {0}, v = {0};
	const char *why = ft->parse(line, &k, &v);

	stralloc_free(&v);
	if (why)
		usage_fail(why, NULL);
	return sa_keep(&k);
}

void
arg_word(const char *arg)
{
	if (!*arg || strpbrk(arg, " \t") || has_ctl(arg, strlen(arg)))
		usage_fail("bad argument: ", arg, NULL);
}
