obj-clang/queue/dsn.o: queue/dsn.c queue/dsn.h queue/qfile.h \
  queue/rfcdate.h

queue/dsn.h:

queue/qfile.h:

queue/rfcdate.h:
