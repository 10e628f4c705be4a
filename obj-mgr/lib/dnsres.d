obj-mgr/lib/dnsres.o: lib/dnsres.c lib/address.h lib/dnsres.h \
 lib/netaddr.h lib/sysutil.h
lib/address.h:
lib/dnsres.h:
lib/netaddr.h:
lib/sysutil.h:
