# conf/: sluice-conf (instance creation and configuration); see conf/conf.h
PROGS += sluice-conf
sluice-conf_OBJS = conf/main.c conf/util.c conf/sysusers.c conf/table.c \
	conf/tables.c conf/tlsgen.c conf/services.c conf/init.c \
	conf/mailcmds.c conf/netcmds.c conf/setcmds.c conf/check.c \
	conf/systemd.c
