obj-mgr/smtpd/session.o: smtpd/session.c smtpd/abuse.h lib/logmsg.h \
 smtpd/received.h smtpd/smtpcmd.h lib/address.h smtpd/smtpd.h lib/netio.h \
 smtpd/tlsload.h lib/tlsw.h
smtpd/abuse.h:
lib/logmsg.h:
smtpd/received.h:
smtpd/smtpcmd.h:
lib/address.h:
smtpd/smtpd.h:
lib/netio.h:
smtpd/tlsload.h:
lib/tlsw.h:
