obj-mgr/lib/netaddr.o: lib/netaddr.c lib/netaddr.h lib/address.h
lib/netaddr.h:
lib/address.h:
