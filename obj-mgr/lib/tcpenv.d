obj-mgr/lib/tcpenv.o: lib/tcpenv.c lib/cdblook.h lib/exitcodes.h \
 lib/logmsg.h lib/netaddr.h lib/tcpenv.h
lib/cdblook.h:
lib/exitcodes.h:
lib/logmsg.h:
lib/netaddr.h:
lib/tcpenv.h:
