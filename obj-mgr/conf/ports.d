obj-mgr/conf/ports.o: conf/ports.c conf/conf.h lib/control.h lib/logmsg.h \
 lib/netaddr.h
conf/conf.h:
lib/control.h:
lib/logmsg.h:
lib/netaddr.h:
