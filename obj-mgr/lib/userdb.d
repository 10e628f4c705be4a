obj-mgr/lib/userdb.o: lib/userdb.c lib/userdb.h lib/cdblook.h \
 lib/control.h lib/address.h lib/srs.h
lib/userdb.h:
lib/cdblook.h:
lib/control.h:
lib/address.h:
lib/srs.h:
