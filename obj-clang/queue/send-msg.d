obj-clang/queue/send-msg.o: queue/send-msg.c queue/msgid.h lib/logmsg.h \
  queue/qscan.h queue/send.h queue/qfile.h lib/sysutil.h

queue/msgid.h:

lib/logmsg.h:

queue/qscan.h:

queue/send.h:

queue/qfile.h:

lib/sysutil.h:
