obj-mgr/smtpd/qpipe.o: smtpd/qpipe.c smtpd/qpipe.h lib/inject.h
smtpd/qpipe.h:
lib/inject.h:
