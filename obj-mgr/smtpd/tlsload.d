obj-mgr/smtpd/tlsload.o: smtpd/tlsload.c lib/control.h lib/sysutil.h \
 smtpd/tlsload.h lib/tlsw.h
lib/control.h:
lib/sysutil.h:
smtpd/tlsload.h:
lib/tlsw.h:
