obj-mgr/smtpd/sasl.o: smtpd/sasl.c smtpd/sasl.h
smtpd/sasl.h:
