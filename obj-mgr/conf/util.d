obj-mgr/conf/util.o: conf/util.c conf/conf.h lib/atomicfile.h \
 lib/control.h lib/exitcodes.h lib/logmsg.h lib/sysutil.h
conf/conf.h:
lib/atomicfile.h:
lib/control.h:
lib/exitcodes.h:
lib/logmsg.h:
lib/sysutil.h:
