obj-mgr/lib/netio.o: lib/netio.c lib/netio.h lib/sysutil.h
lib/netio.h:
lib/sysutil.h:
