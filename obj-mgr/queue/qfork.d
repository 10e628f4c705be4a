obj-mgr/queue/qfork.o: queue/qfork.c lib/exitcodes.h lib/logmsg.h \
 queue/qfork.h
lib/exitcodes.h:
lib/logmsg.h:
queue/qfork.h:
