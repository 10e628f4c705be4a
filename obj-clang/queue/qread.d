obj-clang/queue/qread.o: queue/qread.c lib/control.h lib/logmsg.h \
  queue/qscan.h queue/qtool.h queue/qfile.h

lib/control.h:

lib/logmsg.h:

queue/qscan.h:

queue/qtool.h:

queue/qfile.h:
