obj-mgr/smtpd/auth.o: smtpd/auth.c smtpd/abuse.h lib/logmsg.h \
 smtpd/sasl.h smtpd/smtpcmd.h lib/address.h smtpd/smtpd.h lib/netio.h \
 lib/userdb.h
smtpd/abuse.h:
lib/logmsg.h:
smtpd/sasl.h:
smtpd/smtpcmd.h:
lib/address.h:
smtpd/smtpd.h:
lib/netio.h:
lib/userdb.h:
