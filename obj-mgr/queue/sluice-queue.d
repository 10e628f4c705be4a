obj-mgr/queue/sluice-queue.o: queue/sluice-queue.c lib/control.h \
 lib/exitcodes.h lib/logmsg.h queue/qinject.h queue/qfile.h queue/qsign.h \
 lib/dkim.h lib/sysutil.h
lib/control.h:
lib/exitcodes.h:
lib/logmsg.h:
queue/qinject.h:
queue/qfile.h:
queue/qsign.h:
lib/dkim.h:
lib/sysutil.h:
