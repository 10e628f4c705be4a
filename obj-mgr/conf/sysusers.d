obj-mgr/conf/sysusers.o: conf/sysusers.c conf/conf.h lib/sysutil.h \
 lib/logmsg.h
conf/conf.h:
lib/sysutil.h:
lib/logmsg.h:
