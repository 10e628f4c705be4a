obj-mgr/local/main.o: local/main.c local/local.h lib/job.h lib/maildir.h \
 lib/userdb.h lib/exitcodes.h lib/logmsg.h lib/spawner.h lib/job.h \
 lib/sysutil.h
local/local.h:
lib/job.h:
lib/maildir.h:
lib/userdb.h:
lib/exitcodes.h:
lib/logmsg.h:
lib/spawner.h:
lib/job.h:
lib/sysutil.h:
