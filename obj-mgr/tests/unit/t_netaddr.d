obj-mgr/tests/unit/t_netaddr.o: tests/unit/t_netaddr.c lib/netaddr.h \
 tests/unit/tap.h
lib/netaddr.h:
tests/unit/tap.h:
