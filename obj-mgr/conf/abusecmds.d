obj-mgr/conf/abusecmds.o: conf/abusecmds.c conf/conf.h lib/address.h \
 lib/logmsg.h
conf/conf.h:
lib/address.h:
lib/logmsg.h:
