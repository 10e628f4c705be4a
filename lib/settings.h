/*
 * settings.h -- the one table of named settings (ROOT/control/KEY).
 *
 * Every limit and knob an administrator may set lives here with its type,
 * default and bounds; `sluice-conf set/get` and every program read through
 * this table, so a value is validated the same way everywhere and
 * `sluice-conf get` shows the default of an unset key.
 */
#ifndef SLUICE_SETTINGS_H
#define SLUICE_SETTINGS_H

enum setting_type {
	ST_UINT,	/* decimal number within [min, max] */
	ST_BOOL,	/* 0 or 1 */
	ST_STR,		/* one line of printable text, at most max bytes */
	ST_HOST,	/* a domain name (validated by the address parser) */
	ST_LIST		/* comma separated list, validated by a per-key check */
};

struct setting {
	const char *key;
	enum setting_type type;
	const char *def;	/* default as text ("" = none) */
	unsigned long min;
	unsigned long max;	/* bound for numbers; max length for strings */
	const char *help;	/* one line: what it does and its unit */
};

extern const struct setting settings[];
const struct setting *setting_find(const char *key);
/* 1 if text is a valid value for s; else 0 and *why set to a reason */
int setting_valid(const struct setting *s, const char *text, const char **why);

#endif
