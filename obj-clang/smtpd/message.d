obj-clang/smtpd/message.o: smtpd/message.c lib/logmsg.h smtpd/qpipe.h \
  smtpd/qreply.h smtpd/received.h smtpd/smtpcmd.h lib/address.h \
  smtpd/smtpd.h lib/netio.h smtpd/smtpdata.h

lib/logmsg.h:

smtpd/qpipe.h:

smtpd/qreply.h:

smtpd/received.h:

smtpd/smtpcmd.h:

lib/address.h:

smtpd/smtpd.h:

lib/netio.h:

smtpd/smtpdata.h:
