obj-mgr/manager/send-main.o: manager/send-main.c lib/control.h \
 lib/decimal.h lib/exitcodes.h lib/logmsg.h manager/send.h lib/job.h \
 manager/../queue/qfile.h lib/sysutil.h
lib/control.h:
lib/decimal.h:
lib/exitcodes.h:
lib/logmsg.h:
manager/send.h:
lib/job.h:
manager/../queue/qfile.h:
lib/sysutil.h:
