obj-mgr/smtpd/relaydom.o: smtpd/relaydom.c lib/address.h lib/cdblook.h \
 lib/control.h smtpd/relaydom.h
lib/address.h:
lib/cdblook.h:
lib/control.h:
smtpd/relaydom.h:
