obj-mgr/local/deliver.o: local/deliver.c local/local.h lib/job.h \
 lib/maildir.h lib/userdb.h lib/address.h lib/control.h lib/exitcodes.h \
 local/hdrscan.h lib/logmsg.h lib/sysutil.h
local/local.h:
lib/job.h:
lib/maildir.h:
lib/userdb.h:
lib/address.h:
lib/control.h:
lib/exitcodes.h:
local/hdrscan.h:
lib/logmsg.h:
lib/sysutil.h:
