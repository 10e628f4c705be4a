obj-mgr/local/user.o: local/user.c local/local.h lib/job.h lib/maildir.h \
 lib/userdb.h lib/address.h lib/control.h local/dotfile.h lib/logmsg.h
local/local.h:
lib/job.h:
lib/maildir.h:
lib/userdb.h:
lib/address.h:
lib/control.h:
local/dotfile.h:
lib/logmsg.h:
