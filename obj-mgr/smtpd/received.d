obj-mgr/smtpd/received.o: smtpd/received.c smtpd/received.h
smtpd/received.h:
