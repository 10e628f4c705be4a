obj-clang/smtpd/envelope.o: smtpd/envelope.c lib/logmsg.h smtpd/smtpcmd.h \
  lib/address.h smtpd/smtpd.h lib/netio.h lib/userdb.h

lib/logmsg.h:

smtpd/smtpcmd.h:

lib/address.h:

smtpd/smtpd.h:

lib/netio.h:

lib/userdb.h:
