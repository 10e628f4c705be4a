obj-mgr/smtpd/qreply.o: smtpd/qreply.c lib/exitcodes.h lib/inject.h \
 smtpd/qreply.h
lib/exitcodes.h:
lib/inject.h:
smtpd/qreply.h:
