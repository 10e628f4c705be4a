# conf/: sluice-conf (instance creation and configuration); see conf/conf.h
PROGS += sluice-conf
sluice-conf_OBJS = conf/main.c conf/util.c conf/sysusers.c conf/table.c \
	conf/tables.c conf/tlsgen.c conf/services.c conf/init.c \
	conf/mailcmds.c conf/netcmds.c conf/setcmds.c conf/check.c \
	conf/systemd.c conf/dkimcmd.c conf/dnscmd.c conf/ports.c conf/apps.c \
	conf/dovecot.c conf/webmail.c conf/abusecmds.c conf/infocmds.c \
	conf/owners.c local/quota.c local/mdsize.c local/dotfile.c remote/route.c

# the table parsers (and what they use) for the unit test and fuzz target
CONF_TABLE_SRCS = conf/tables.c conf/table.c conf/util.c conf/services.c \
	conf/ports.c conf/apps.c conf/dovecot.c conf/webmail.c \
	conf/sysusers.c conf/abusecmds.c remote/route.c
UNIT_TESTS += t_conftables
t_conftables_OBJS = tests/unit/t_conftables.c $(CONF_TABLE_SRCS)
FUZZERS += fuzz_conftables
fuzz_conftables_OBJS = tests/fuzz/fuzz_conftables.c $(CONF_TABLE_SRCS)
