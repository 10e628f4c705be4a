obj-mgr/tests/unit/t_remote.o: tests/unit/t_remote.c tests/unit/tap.h \
 tests/unit/../../remote/dotstuff.h tests/unit/../../remote/mxorder.h \
 lib/dnsres.h lib/netaddr.h tests/unit/../../remote/remoteauth.h \
 tests/unit/../../remote/route.h lib/netaddr.h \
 tests/unit/../../remote/smtpreply.h
tests/unit/tap.h:
tests/unit/../../remote/dotstuff.h:
tests/unit/../../remote/mxorder.h:
lib/dnsres.h:
lib/netaddr.h:
tests/unit/../../remote/remoteauth.h:
tests/unit/../../remote/route.h:
lib/netaddr.h:
tests/unit/../../remote/smtpreply.h:
