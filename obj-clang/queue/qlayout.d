obj-clang/queue/qlayout.o: queue/qlayout.c queue/qfile.h queue/qlayout.h \
  lib/sysutil.h

queue/qfile.h:

queue/qlayout.h:

lib/sysutil.h:
