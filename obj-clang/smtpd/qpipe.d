obj-clang/smtpd/qpipe.o: smtpd/qpipe.c smtpd/qpipe.h lib/sysutil.h

smtpd/qpipe.h:

lib/sysutil.h:
