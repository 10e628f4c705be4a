obj-mgr/queue/qread.o: queue/qread.c lib/exitcodes.h lib/logmsg.h \
 queue/qscan.h queue/qtool.h queue/qfile.h
lib/exitcodes.h:
lib/logmsg.h:
queue/qscan.h:
queue/qtool.h:
queue/qfile.h:
