obj-clang/queue/send-sched.o: queue/send-sched.c lib/exitcodes.h \
  lib/job.h lib/logmsg.h queue/send.h queue/qfile.h lib/sysutil.h \
  lib/userdb.h

lib/exitcodes.h:

lib/job.h:

lib/logmsg.h:

queue/send.h:

queue/qfile.h:

lib/sysutil.h:

lib/userdb.h:
