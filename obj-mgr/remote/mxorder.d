obj-mgr/remote/mxorder.o: remote/mxorder.c remote/mxorder.h lib/dnsres.h \
 lib/netaddr.h
remote/mxorder.h:
lib/dnsres.h:
lib/netaddr.h:
