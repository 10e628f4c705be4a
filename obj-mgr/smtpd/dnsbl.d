obj-mgr/smtpd/dnsbl.o: smtpd/dnsbl.c smtpd/abuse.h lib/anvil.h \
 lib/control.h lib/dnsres.h lib/netaddr.h lib/logmsg.h lib/netaddr.h \
 smtpd/smtpd.h lib/address.h lib/netio.h
smtpd/abuse.h:
lib/anvil.h:
lib/control.h:
lib/dnsres.h:
lib/netaddr.h:
lib/logmsg.h:
lib/netaddr.h:
smtpd/smtpd.h:
lib/address.h:
lib/netio.h:
