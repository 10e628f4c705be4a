obj-mgr/manager/send-keeper.o: manager/send-keeper.c lib/exitcodes.h \
 lib/job.h lib/logmsg.h manager/../queue/qfork.h manager/../queue/qscan.h \
 manager/send.h manager/../queue/qfile.h lib/sysutil.h
lib/exitcodes.h:
lib/job.h:
lib/logmsg.h:
manager/../queue/qfork.h:
manager/../queue/qscan.h:
manager/send.h:
manager/../queue/qfile.h:
lib/sysutil.h:
