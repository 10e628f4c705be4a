obj-mgr/queue/report.o: queue/report.c lib/control.h lib/decimal.h \
 lib/exitcodes.h lib/logmsg.h queue/logparse.h
lib/control.h:
lib/decimal.h:
lib/exitcodes.h:
lib/logmsg.h:
queue/logparse.h:
