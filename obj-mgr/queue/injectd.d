obj-mgr/queue/injectd.o: queue/injectd.c lib/control.h lib/exitcodes.h \
 lib/inject.h lib/logmsg.h queue/qinject.h queue/qfile.h lib/sysutil.h
lib/control.h:
lib/exitcodes.h:
lib/inject.h:
lib/logmsg.h:
queue/qinject.h:
queue/qfile.h:
lib/sysutil.h:
