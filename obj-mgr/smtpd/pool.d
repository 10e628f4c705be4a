obj-mgr/smtpd/pool.o: smtpd/pool.c lib/control.h lib/exitcodes.h \
 lib/logmsg.h smtpd/pool.h lib/sysutil.h lib/tcpenv.h
lib/control.h:
lib/exitcodes.h:
lib/logmsg.h:
smtpd/pool.h:
lib/sysutil.h:
lib/tcpenv.h:
