obj-mgr/conf/tlsgen.o: conf/tlsgen.c conf/conf.h lib/logmsg.h
conf/conf.h:
lib/logmsg.h:
