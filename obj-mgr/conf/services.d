obj-mgr/conf/services.o: conf/services.c conf/conf.h lib/control.h \
 lib/logmsg.h lib/settings.h
conf/conf.h:
lib/control.h:
lib/logmsg.h:
lib/settings.h:
