obj-clang/smtpd/auth.o: smtpd/auth.c lib/logmsg.h smtpd/sasl.h \
  smtpd/smtpcmd.h lib/address.h smtpd/smtpd.h lib/netio.h lib/userdb.h

lib/logmsg.h:

smtpd/sasl.h:

smtpd/smtpcmd.h:

lib/address.h:

smtpd/smtpd.h:

lib/netio.h:

lib/userdb.h:
