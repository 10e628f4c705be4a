obj-clang/remote/connect.o: remote/connect.c remote/connect.h \
  lib/netaddr.h lib/sysutil.h

remote/connect.h:

lib/netaddr.h:

lib/sysutil.h:
