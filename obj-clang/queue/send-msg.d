obj-clang/queue/send-msg.o: queue/send-msg.c lib/logmsg.h queue/qscan.h \
  queue/send.h queue/qfile.h lib/sysutil.h

lib/logmsg.h:

queue/qscan.h:

queue/send.h:

queue/qfile.h:

lib/sysutil.h:
