obj-mgr/manager/send-sched.o: manager/send-sched.c lib/exitcodes.h \
 lib/job.h lib/logmsg.h manager/send.h manager/../queue/qfile.h \
 lib/sysutil.h lib/userdb.h
lib/exitcodes.h:
lib/job.h:
lib/logmsg.h:
manager/send.h:
manager/../queue/qfile.h:
lib/sysutil.h:
lib/userdb.h:
