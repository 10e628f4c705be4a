obj-mgr/smtpd/milter.o: smtpd/milter.c smtpd/milter.h lib/logmsg.h \
 smtpd/milterproto.h lib/netaddr.h lib/sysutil.h
smtpd/milter.h:
lib/logmsg.h:
smtpd/milterproto.h:
lib/netaddr.h:
lib/sysutil.h:
