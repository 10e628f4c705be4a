obj-mgr/smtpd/main.o: smtpd/main.c smtpd/abuse.h lib/control.h \
 lib/exitcodes.h lib/logmsg.h lib/netaddr.h smtpd/pool.h smtpd/smtpd.h \
 lib/address.h lib/netio.h lib/sysutil.h lib/tcpenv.h smtpd/tlsload.h \
 lib/tlsw.h
smtpd/abuse.h:
lib/control.h:
lib/exitcodes.h:
lib/logmsg.h:
lib/netaddr.h:
smtpd/pool.h:
smtpd/smtpd.h:
lib/address.h:
lib/netio.h:
lib/sysutil.h:
lib/tcpenv.h:
smtpd/tlsload.h:
lib/tlsw.h:
