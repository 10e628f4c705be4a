obj-mgr/imap/checkpw.o: imap/checkpw.c imap/cpw.h lib/exitcodes.h \
 lib/logmsg.h lib/sysutil.h lib/userdb.h
imap/cpw.h:
lib/exitcodes.h:
lib/logmsg.h:
lib/sysutil.h:
lib/userdb.h:
