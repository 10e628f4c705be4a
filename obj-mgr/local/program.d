obj-mgr/local/program.o: local/program.c local/local.h lib/job.h \
 lib/maildir.h lib/userdb.h lib/control.h lib/logmsg.h lib/sysutil.h
local/local.h:
lib/job.h:
lib/maildir.h:
lib/userdb.h:
lib/control.h:
lib/logmsg.h:
lib/sysutil.h:
