obj-mgr/local/forward.o: local/forward.c lib/control.h lib/inject.h \
 local/local.h lib/job.h lib/maildir.h lib/userdb.h lib/logmsg.h \
 lib/srs.h lib/sysutil.h
lib/control.h:
lib/inject.h:
local/local.h:
lib/job.h:
lib/maildir.h:
lib/userdb.h:
lib/logmsg.h:
lib/srs.h:
lib/sysutil.h:
