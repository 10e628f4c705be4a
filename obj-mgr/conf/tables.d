obj-mgr/conf/tables.o: conf/tables.c conf/../remote/route.h lib/netaddr.h \
 conf/conf.h lib/address.h lib/userdb.h lib/logmsg.h
conf/../remote/route.h:
lib/netaddr.h:
conf/conf.h:
lib/address.h:
lib/userdb.h:
lib/logmsg.h:
