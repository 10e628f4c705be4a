obj-mgr/conf/init.o: conf/init.c conf/conf.h lib/address.h lib/control.h \
 lib/logmsg.h
conf/conf.h:
lib/address.h:
lib/control.h:
lib/logmsg.h:
