obj-mgr/conf/main.o: conf/main.c conf/conf.h lib/control.h \
 lib/exitcodes.h lib/logmsg.h
conf/conf.h:
lib/control.h:
lib/exitcodes.h:
lib/logmsg.h:
