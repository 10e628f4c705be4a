obj-mgr/conf/table.o: conf/table.c conf/conf.h lib/atomicfile.h \
 lib/logmsg.h
conf/conf.h:
lib/atomicfile.h:
lib/logmsg.h:
