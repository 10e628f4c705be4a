obj-clang/queue/sluice-queue.o: queue/sluice-queue.c lib/control.h \
  queue/envelope.h lib/exitcodes.h lib/logmsg.h queue/qfile.h \
  queue/qlayout.h queue/rfcdate.h lib/sysutil.h

lib/control.h:

queue/envelope.h:

lib/exitcodes.h:

lib/logmsg.h:

queue/qfile.h:

queue/qlayout.h:

queue/rfcdate.h:

lib/sysutil.h:
