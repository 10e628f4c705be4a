obj-mgr/remote/route.o: remote/route.c lib/cdblook.h lib/control.h \
 remote/route.h lib/netaddr.h
lib/cdblook.h:
lib/control.h:
remote/route.h:
lib/netaddr.h:
