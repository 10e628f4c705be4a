obj-clang/remote/dnsres.o: remote/dnsres.c lib/address.h remote/dnsres.h \
  lib/netaddr.h lib/sysutil.h

lib/address.h:

remote/dnsres.h:

lib/netaddr.h:

lib/sysutil.h:
