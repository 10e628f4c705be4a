obj-mgr/remote/plan.o: remote/plan.c lib/address.h remote/connect.h \
 lib/netaddr.h remote/mxorder.h lib/dnsres.h lib/netaddr.h remote/plan.h \
 remote/remote.h lib/job.h remote/remoteauth.h remote/route.h
lib/address.h:
remote/connect.h:
lib/netaddr.h:
remote/mxorder.h:
lib/dnsres.h:
lib/netaddr.h:
remote/plan.h:
remote/remote.h:
lib/job.h:
remote/remoteauth.h:
remote/route.h:
