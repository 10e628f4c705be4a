obj-mgr/pop3d/auth.o: pop3d/auth.c pop3d/pop3d.h lib/job.h \
 pop3d/pop3cmd.h lib/userdb.h lib/sysutil.h lib/logmsg.h
pop3d/pop3d.h:
lib/job.h:
pop3d/pop3cmd.h:
lib/userdb.h:
lib/sysutil.h:
lib/logmsg.h:
