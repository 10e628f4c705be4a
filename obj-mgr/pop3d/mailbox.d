obj-mgr/pop3d/mailbox.o: pop3d/mailbox.c pop3d/mailbox.h pop3d/pop3cmd.h \
 lib/sysutil.h lib/logmsg.h
pop3d/mailbox.h:
pop3d/pop3cmd.h:
lib/sysutil.h:
lib/logmsg.h:
