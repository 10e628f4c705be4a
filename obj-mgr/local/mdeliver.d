obj-mgr/local/mdeliver.o: local/mdeliver.c local/local.h lib/job.h \
 lib/maildir.h lib/userdb.h lib/control.h lib/logmsg.h
local/local.h:
lib/job.h:
lib/maildir.h:
lib/userdb.h:
lib/control.h:
lib/logmsg.h:
