obj-mgr/smtpd/smtpdata.o: smtpd/smtpdata.c smtpd/smtpdata.h
smtpd/smtpdata.h:
