obj-clang/conf/owners.o: conf/owners.c conf/conf.h lib/logmsg.h \
  lib/userdb.h

conf/conf.h:

lib/logmsg.h:

lib/userdb.h:
