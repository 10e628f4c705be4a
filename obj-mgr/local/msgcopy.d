obj-mgr/local/msgcopy.o: local/msgcopy.c local/local.h lib/job.h \
 lib/maildir.h lib/userdb.h local/hdrscan.h lib/sysutil.h
local/local.h:
lib/job.h:
lib/maildir.h:
lib/userdb.h:
local/hdrscan.h:
lib/sysutil.h:
