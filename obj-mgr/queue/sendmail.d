obj-mgr/queue/sendmail.o: queue/sendmail.c lib/address.h lib/control.h \
 lib/exitcodes.h lib/inject.h queue/hdraddr.h lib/logmsg.h queue/qfile.h \
 lib/rfcdate.h lib/sysutil.h
lib/address.h:
lib/control.h:
lib/exitcodes.h:
lib/inject.h:
queue/hdraddr.h:
lib/logmsg.h:
queue/qfile.h:
lib/rfcdate.h:
lib/sysutil.h:
