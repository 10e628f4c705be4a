obj-mgr/queue/qstat.o: queue/qstat.c lib/exitcodes.h lib/logmsg.h \
 queue/qscan.h queue/qtool.h queue/qfile.h
lib/exitcodes.h:
lib/logmsg.h:
queue/qscan.h:
queue/qtool.h:
queue/qfile.h:
