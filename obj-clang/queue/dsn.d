obj-clang/queue/dsn.o: queue/dsn.c queue/dsn.h queue/qfile.h \
  lib/rfcdate.h

queue/dsn.h:

queue/qfile.h:

lib/rfcdate.h:
