obj-mgr/smtpd/smtpcmd.o: smtpd/smtpcmd.c smtpd/smtpcmd.h lib/address.h
smtpd/smtpcmd.h:
lib/address.h:
