obj-mgr/conf/mailcmds.o: conf/mailcmds.c conf/conf.h lib/address.h \
 lib/control.h lib/logmsg.h lib/maildir.h lib/userdb.h
conf/conf.h:
lib/address.h:
lib/control.h:
lib/logmsg.h:
lib/maildir.h:
lib/userdb.h:
