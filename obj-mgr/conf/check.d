obj-mgr/conf/check.o: conf/check.c conf/conf.h lib/control.h lib/logmsg.h \
 lib/settings.h lib/userdb.h conf/../remote/route.h lib/netaddr.h
conf/conf.h:
lib/control.h:
lib/logmsg.h:
lib/settings.h:
lib/userdb.h:
conf/../remote/route.h:
lib/netaddr.h:
