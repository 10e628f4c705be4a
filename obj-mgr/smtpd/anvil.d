obj-mgr/smtpd/anvil.o: smtpd/anvil.c lib/anvil.h lib/control.h \
 lib/decimal.h lib/exitcodes.h lib/logmsg.h lib/sysutil.h
lib/anvil.h:
lib/control.h:
lib/decimal.h:
lib/exitcodes.h:
lib/logmsg.h:
lib/sysutil.h:
