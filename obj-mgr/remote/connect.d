obj-mgr/remote/connect.o: remote/connect.c remote/connect.h lib/netaddr.h \
 lib/control.h lib/sysutil.h
remote/connect.h:
lib/netaddr.h:
lib/control.h:
lib/sysutil.h:
