obj-mgr/conf/webmail.o: conf/webmail.c conf/conf.h lib/control.h \
 lib/logmsg.h
conf/conf.h:
lib/control.h:
lib/logmsg.h:
