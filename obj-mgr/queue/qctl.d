obj-mgr/queue/qctl.o: queue/qctl.c lib/exitcodes.h lib/logmsg.h \
 queue/qfile.h queue/qlayout.h queue/qscan.h queue/qtool.h lib/sysutil.h
lib/exitcodes.h:
lib/logmsg.h:
queue/qfile.h:
queue/qlayout.h:
queue/qscan.h:
queue/qtool.h:
lib/sysutil.h:
