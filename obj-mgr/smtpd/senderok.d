obj-mgr/smtpd/senderok.o: smtpd/senderok.c lib/address.h lib/cdblook.h \
 lib/control.h smtpd/senderok.h lib/userdb.h
lib/address.h:
lib/cdblook.h:
lib/control.h:
smtpd/senderok.h:
lib/userdb.h:
