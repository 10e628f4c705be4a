obj-mgr/remote/deliver.o: remote/deliver.c lib/address.h lib/control.h \
 remote/dotstuff.h lib/exitcodes.h lib/logmsg.h remote/plan.h \
 lib/dnsres.h lib/netaddr.h remote/remote.h lib/job.h lib/netaddr.h \
 remote/remoteauth.h remote/route.h lib/sysutil.h
lib/address.h:
lib/control.h:
remote/dotstuff.h:
lib/exitcodes.h:
lib/logmsg.h:
remote/plan.h:
lib/dnsres.h:
lib/netaddr.h:
remote/remote.h:
lib/job.h:
lib/netaddr.h:
remote/remoteauth.h:
remote/route.h:
lib/sysutil.h:
