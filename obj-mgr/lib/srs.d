obj-mgr/lib/srs.o: lib/srs.c lib/srs.h lib/address.h
lib/srs.h:
lib/address.h:
