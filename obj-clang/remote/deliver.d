obj-clang/remote/deliver.o: remote/deliver.c lib/address.h lib/control.h \
  remote/dotstuff.h lib/exitcodes.h lib/logmsg.h remote/plan.h \
  remote/dnsres.h lib/netaddr.h remote/remote.h lib/job.h \
  remote/remoteauth.h lib/sysutil.h

lib/address.h:

lib/control.h:

remote/dotstuff.h:

lib/exitcodes.h:

lib/logmsg.h:

remote/plan.h:

remote/dnsres.h:

lib/netaddr.h:

remote/remote.h:

lib/job.h:

remote/remoteauth.h:

lib/sysutil.h:
