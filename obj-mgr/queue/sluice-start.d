obj-mgr/queue/sluice-start.o: queue/sluice-start.c lib/control.h \
 lib/exitcodes.h lib/inject.h lib/logmsg.h queue/qfork.h queue/qlayout.h \
 queue/qstart.h lib/sysutil.h
lib/control.h:
lib/exitcodes.h:
lib/inject.h:
lib/logmsg.h:
queue/qfork.h:
queue/qlayout.h:
queue/qstart.h:
lib/sysutil.h:
