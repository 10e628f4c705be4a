obj-mgr/remote/smtptxn.o: remote/smtptxn.c remote/dotstuff.h \
 remote/smtpsess.h lib/netio.h remote/remote.h lib/job.h lib/netaddr.h \
 remote/remoteauth.h remote/route.h remote/smtpreply.h
remote/dotstuff.h:
remote/smtpsess.h:
lib/netio.h:
remote/remote.h:
lib/job.h:
lib/netaddr.h:
remote/remoteauth.h:
remote/route.h:
remote/smtpreply.h:
