obj-clang/smtpd/main.o: smtpd/main.c lib/control.h lib/exitcodes.h \
  lib/logmsg.h lib/netaddr.h smtpd/smtpd.h lib/address.h lib/netio.h \
  lib/sysutil.h lib/tcpenv.h smtpd/tlsload.h lib/tlsw.h

lib/control.h:

lib/exitcodes.h:

lib/logmsg.h:

lib/netaddr.h:

smtpd/smtpd.h:

lib/address.h:

lib/netio.h:

lib/sysutil.h:

lib/tcpenv.h:

smtpd/tlsload.h:

lib/tlsw.h:
