obj-mgr/manager/send-msg.o: manager/send-msg.c lib/exitcodes.h \
 manager/msgid.h lib/logmsg.h manager/../queue/qscan.h manager/send.h \
 lib/job.h manager/../queue/qfile.h lib/sysutil.h
lib/exitcodes.h:
manager/msgid.h:
lib/logmsg.h:
manager/../queue/qscan.h:
manager/send.h:
lib/job.h:
manager/../queue/qfile.h:
lib/sysutil.h:
