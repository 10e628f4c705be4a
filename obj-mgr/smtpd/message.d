obj-mgr/smtpd/message.o: smtpd/message.c smtpd/abuse.h lib/logmsg.h \
 smtpd/milter.h smtpd/qpipe.h lib/inject.h smtpd/qreply.h \
 smtpd/received.h smtpd/smtpcmd.h lib/address.h smtpd/smtpd.h lib/netio.h \
 smtpd/smtpdata.h lib/sysutil.h
smtpd/abuse.h:
lib/logmsg.h:
smtpd/milter.h:
smtpd/qpipe.h:
lib/inject.h:
smtpd/qreply.h:
smtpd/received.h:
smtpd/smtpcmd.h:
lib/address.h:
smtpd/smtpd.h:
lib/netio.h:
smtpd/smtpdata.h:
lib/sysutil.h:
