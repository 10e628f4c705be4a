obj-mgr/queue/qlayout.o: queue/qlayout.c lib/logmsg.h queue/qfile.h \
 queue/qlayout.h queue/qscan.h lib/sysutil.h
lib/logmsg.h:
queue/qfile.h:
queue/qlayout.h:
queue/qscan.h:
lib/sysutil.h:
