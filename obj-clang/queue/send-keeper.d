obj-clang/queue/send-keeper.o: queue/send-keeper.c lib/exitcodes.h \
  lib/job.h lib/logmsg.h queue/qfork.h queue/send.h queue/qfile.h \
  lib/sysutil.h

lib/exitcodes.h:

lib/job.h:

lib/logmsg.h:

queue/qfork.h:

queue/send.h:

queue/qfile.h:

lib/sysutil.h:
