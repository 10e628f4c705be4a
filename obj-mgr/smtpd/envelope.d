obj-mgr/smtpd/envelope.o: smtpd/envelope.c smtpd/abuse.h lib/logmsg.h \
 lib/quotanote.h smtpd/relaydom.h smtpd/senderok.h smtpd/smtpcmd.h \
 lib/address.h smtpd/smtpd.h lib/netio.h lib/userdb.h
smtpd/abuse.h:
lib/logmsg.h:
lib/quotanote.h:
smtpd/relaydom.h:
smtpd/senderok.h:
smtpd/smtpcmd.h:
lib/address.h:
smtpd/smtpd.h:
lib/netio.h:
lib/userdb.h:
