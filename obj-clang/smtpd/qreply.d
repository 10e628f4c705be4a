obj-clang/smtpd/qreply.o: smtpd/qreply.c lib/exitcodes.h smtpd/qreply.h

lib/exitcodes.h:

smtpd/qreply.h:
