obj-clang/lib/userdb.o: lib/userdb.c lib/userdb.h lib/cdblook.h \
  lib/control.h lib/address.h

lib/userdb.h:

lib/cdblook.h:

lib/control.h:

lib/address.h:
