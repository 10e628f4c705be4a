obj-mgr/conf/systemd.o: conf/systemd.c conf/conf.h lib/control.h \
 lib/logmsg.h
conf/conf.h:
lib/control.h:
lib/logmsg.h:
