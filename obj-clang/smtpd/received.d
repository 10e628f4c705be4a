obj-clang/smtpd/received.o: smtpd/received.c smtpd/received.h

smtpd/received.h:
