obj-mgr/remote/main.o: remote/main.c lib/exitcodes.h remote/remote.h \
 lib/job.h lib/netaddr.h remote/remoteauth.h remote/route.h lib/logmsg.h \
 lib/spawner.h lib/job.h lib/sysutil.h
lib/exitcodes.h:
remote/remote.h:
lib/job.h:
lib/netaddr.h:
remote/remoteauth.h:
remote/route.h:
lib/logmsg.h:
lib/spawner.h:
lib/job.h:
lib/sysutil.h:
