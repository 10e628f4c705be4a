obj-mgr/lib/spawner.o: lib/spawner.c lib/exitcodes.h lib/logmsg.h \
 lib/spawner.h lib/job.h lib/sysutil.h
lib/exitcodes.h:
lib/logmsg.h:
lib/spawner.h:
lib/job.h:
lib/sysutil.h:
