obj-mgr/pop3d/trans.o: pop3d/trans.c pop3d/pop3d.h lib/job.h \
 pop3d/pop3cmd.h lib/userdb.h pop3d/mailbox.h lib/netio.h lib/sysutil.h \
 lib/logmsg.h
pop3d/pop3d.h:
lib/job.h:
pop3d/pop3cmd.h:
lib/userdb.h:
pop3d/mailbox.h:
lib/netio.h:
lib/sysutil.h:
lib/logmsg.h:
