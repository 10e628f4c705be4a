obj-mgr/remote/smtpsess.o: remote/smtpsess.c remote/connect.h \
 lib/netaddr.h lib/logmsg.h remote/smtpsess.h lib/netio.h remote/remote.h \
 lib/job.h remote/remoteauth.h remote/route.h remote/smtpreply.h \
 lib/sysutil.h lib/tlsw.h
remote/connect.h:
lib/netaddr.h:
lib/logmsg.h:
remote/smtpsess.h:
lib/netio.h:
remote/remote.h:
lib/job.h:
remote/remoteauth.h:
remote/route.h:
remote/smtpreply.h:
lib/sysutil.h:
lib/tlsw.h:
