obj-mgr/queue/qinject.o: queue/qinject.c lib/control.h queue/envelope.h \
 lib/exitcodes.h lib/logmsg.h queue/qinject.h queue/qfile.h \
 queue/qlayout.h queue/qsign.h lib/dkim.h lib/rfcdate.h lib/sysutil.h
lib/control.h:
queue/envelope.h:
lib/exitcodes.h:
lib/logmsg.h:
queue/qinject.h:
queue/qfile.h:
queue/qlayout.h:
queue/qsign.h:
lib/dkim.h:
lib/rfcdate.h:
lib/sysutil.h:
