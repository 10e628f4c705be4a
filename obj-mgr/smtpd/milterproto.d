obj-mgr/smtpd/milterproto.o: smtpd/milterproto.c smtpd/milterproto.h
smtpd/milterproto.h:
