obj-clang/conf/init.o: conf/init.c conf/conf.h lib/address.h \
  lib/control.h lib/logmsg.h lib/netaddr.h

conf/conf.h:

lib/address.h:

lib/control.h:

lib/logmsg.h:

lib/netaddr.h:
