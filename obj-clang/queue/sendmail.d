obj-clang/queue/sendmail.o: queue/sendmail.c lib/address.h lib/control.h \
  lib/exitcodes.h queue/hdraddr.h lib/logmsg.h queue/qfile.h \
  queue/rfcdate.h lib/sysutil.h

lib/address.h:

lib/control.h:

lib/exitcodes.h:

queue/hdraddr.h:

lib/logmsg.h:

queue/qfile.h:

queue/rfcdate.h:

lib/sysutil.h:
