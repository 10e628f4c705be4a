obj-clang/smtpd/message.o: smtpd/message.c lib/logmsg.h smtpd/milter.h \
  smtpd/qpipe.h smtpd/qreply.h smtpd/received.h smtpd/smtpcmd.h \
  lib/address.h smtpd/smtpd.h lib/netio.h smtpd/smtpdata.h lib/sysutil.h

lib/logmsg.h:

smtpd/milter.h:

smtpd/qpipe.h:

smtpd/qreply.h:

smtpd/received.h:

smtpd/smtpcmd.h:

lib/address.h:

smtpd/smtpd.h:

lib/netio.h:

smtpd/smtpdata.h:

lib/sysutil.h:
