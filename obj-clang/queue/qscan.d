obj-clang/queue/qscan.o: queue/qscan.c lib/logmsg.h queue/qfile.h \
  queue/qscan.h

lib/logmsg.h:

queue/qfile.h:

queue/qscan.h:
