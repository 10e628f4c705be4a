obj-clang/queue/send-main.o: queue/send-main.c lib/control.h \
  lib/exitcodes.h lib/logmsg.h queue/send.h queue/qfile.h lib/sysutil.h

lib/control.h:

lib/exitcodes.h:

lib/logmsg.h:

queue/send.h:

queue/qfile.h:

lib/sysutil.h:
