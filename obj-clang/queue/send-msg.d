obj-clang/queue/send-msg.o: queue/send-msg.c lib/exitcodes.h lib/logmsg.h \
  queue/qscan.h queue/send.h lib/job.h queue/qfile.h lib/sysutil.h

lib/exitcodes.h:

lib/logmsg.h:

queue/qscan.h:

queue/send.h:

lib/job.h:

queue/qfile.h:

lib/sysutil.h:
