obj-mgr/lib/logmsg.o: lib/logmsg.c lib/logmsg.h
lib/logmsg.h:
