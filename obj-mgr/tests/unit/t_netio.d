obj-mgr/tests/unit/t_netio.o: tests/unit/t_netio.c lib/netio.h \
 lib/sysutil.h lib/tlsw.h tests/unit/tap.h
lib/netio.h:
lib/sysutil.h:
lib/tlsw.h:
tests/unit/tap.h:
