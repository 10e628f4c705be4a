obj-mgr/remote/remoteauth.o: remote/remoteauth.c lib/control.h \
 remote/remoteauth.h lib/sysutil.h
lib/control.h:
remote/remoteauth.h:
lib/sysutil.h:
