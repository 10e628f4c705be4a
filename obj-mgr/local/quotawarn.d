obj-mgr/local/quotawarn.o: local/quotawarn.c lib/control.h local/local.h \
 lib/job.h lib/maildir.h lib/userdb.h lib/logmsg.h lib/quotanote.h \
 lib/rfcdate.h
lib/control.h:
local/local.h:
lib/job.h:
lib/maildir.h:
lib/userdb.h:
lib/logmsg.h:
lib/quotanote.h:
lib/rfcdate.h:
