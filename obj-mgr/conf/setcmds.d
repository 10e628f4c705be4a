obj-mgr/conf/setcmds.o: conf/setcmds.c conf/conf.h lib/control.h \
 lib/logmsg.h lib/settings.h lib/sysutil.h
conf/conf.h:
lib/control.h:
lib/logmsg.h:
lib/settings.h:
lib/sysutil.h:
