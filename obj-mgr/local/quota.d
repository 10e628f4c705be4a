obj-mgr/local/quota.o: local/quota.c local/local.h lib/job.h \
 lib/maildir.h lib/userdb.h lib/control.h local/mdsize.h lib/sysutil.h
local/local.h:
lib/job.h:
lib/maildir.h:
lib/userdb.h:
lib/control.h:
local/mdsize.h:
lib/sysutil.h:
