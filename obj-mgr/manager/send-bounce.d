obj-mgr/manager/send-bounce.o: manager/send-bounce.c lib/control.h \
 manager/dsn.h lib/inject.h lib/exitcodes.h lib/logmsg.h manager/send.h \
 lib/job.h manager/../queue/qfile.h lib/sysutil.h
lib/control.h:
manager/dsn.h:
lib/inject.h:
lib/exitcodes.h:
lib/logmsg.h:
manager/send.h:
lib/job.h:
manager/../queue/qfile.h:
lib/sysutil.h:
