obj-mgr/smtpd/limits.o: smtpd/limits.c smtpd/abuse.h lib/anvil.h \
 lib/decimal.h lib/logmsg.h smtpd/smtpd.h lib/address.h lib/netio.h
smtpd/abuse.h:
lib/anvil.h:
lib/decimal.h:
lib/logmsg.h:
smtpd/smtpd.h:
lib/address.h:
lib/netio.h:
