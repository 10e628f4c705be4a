obj-mgr/conf/netcmds.o: conf/netcmds.c conf/conf.h lib/logmsg.h
conf/conf.h:
lib/logmsg.h:
