obj-mgr/conf/infocmds.o: conf/infocmds.c conf/conf.h lib/control.h \
 lib/logmsg.h lib/settings.h lib/address.h lib/userdb.h \
 conf/../local/dotfile.h conf/../local/local.h lib/job.h lib/maildir.h
conf/conf.h:
lib/control.h:
lib/logmsg.h:
lib/settings.h:
lib/address.h:
lib/userdb.h:
conf/../local/dotfile.h:
conf/../local/local.h:
lib/job.h:
lib/maildir.h:
