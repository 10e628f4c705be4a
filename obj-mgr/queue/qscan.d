obj-mgr/queue/qscan.o: queue/qscan.c lib/logmsg.h lib/sysutil.h \
 queue/qfile.h queue/qscan.h
lib/logmsg.h:
lib/sysutil.h:
queue/qfile.h:
queue/qscan.h:
