obj-mgr/queue/qcat.o: queue/qcat.c lib/exitcodes.h lib/logmsg.h \
 queue/qfile.h queue/qtool.h lib/sysutil.h
lib/exitcodes.h:
lib/logmsg.h:
queue/qfile.h:
queue/qtool.h:
lib/sysutil.h:
