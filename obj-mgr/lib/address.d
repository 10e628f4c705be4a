obj-mgr/lib/address.o: lib/address.c lib/address.h lib/netaddr.h
lib/address.h:
lib/netaddr.h:
