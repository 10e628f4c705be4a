obj-clang/local/forward.o: local/forward.c local/local.h lib/job.h \
  lib/maildir.h lib/userdb.h lib/logmsg.h lib/sysutil.h

local/local.h:

lib/job.h:

lib/maildir.h:

lib/userdb.h:

lib/logmsg.h:

lib/sysutil.h:
