obj-mgr/local/outcome.o: local/outcome.c local/local.h lib/job.h \
 lib/maildir.h lib/userdb.h lib/logmsg.h
local/local.h:
lib/job.h:
lib/maildir.h:
lib/userdb.h:
lib/logmsg.h:
