obj-mgr/queue/qtool.o: queue/qtool.c lib/control.h lib/exitcodes.h \
 lib/logmsg.h queue/qscan.h queue/qtool.h queue/qfile.h
lib/control.h:
lib/exitcodes.h:
lib/logmsg.h:
queue/qscan.h:
queue/qtool.h:
queue/qfile.h:
