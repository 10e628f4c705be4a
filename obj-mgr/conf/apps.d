obj-mgr/conf/apps.o: conf/apps.c conf/conf.h lib/control.h lib/logmsg.h
conf/conf.h:
lib/control.h:
lib/logmsg.h:
