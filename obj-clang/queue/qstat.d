obj-clang/queue/qstat.o: queue/qstat.c lib/logmsg.h queue/qscan.h \
  queue/qtool.h queue/qfile.h

lib/logmsg.h:

queue/qscan.h:

queue/qtool.h:

queue/qfile.h:
