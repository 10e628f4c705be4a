obj-clang/conf/tables.o: conf/tables.c conf/conf.h lib/address.h \
  lib/netaddr.h lib/userdb.h lib/logmsg.h

conf/conf.h:

lib/address.h:

lib/netaddr.h:

lib/userdb.h:

lib/logmsg.h:
