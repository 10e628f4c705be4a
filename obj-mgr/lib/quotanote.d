obj-mgr/lib/quotanote.o: lib/quotanote.c lib/control.h lib/decimal.h \
 lib/logmsg.h lib/quotanote.h lib/sysutil.h
lib/control.h:
lib/decimal.h:
lib/logmsg.h:
lib/quotanote.h:
lib/sysutil.h:
