obj-mgr/lib/settings.o: lib/settings.c lib/settings.h lib/address.h \
 lib/netaddr.h
lib/settings.h:
lib/address.h:
lib/netaddr.h:
