obj-clang/remote/mxorder.o: remote/mxorder.c remote/mxorder.h \
  remote/dnsres.h lib/netaddr.h

remote/mxorder.h:

remote/dnsres.h:

lib/netaddr.h:
