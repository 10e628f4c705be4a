obj-clang/queue/send-bounce.o: queue/send-bounce.c queue/dsn.h \
  lib/logmsg.h queue/send.h queue/qfile.h lib/sysutil.h

queue/dsn.h:

lib/logmsg.h:

queue/send.h:

queue/qfile.h:

lib/sysutil.h:
