obj-mgr/pop3d/relay.o: pop3d/relay.c pop3d/pop3d.h lib/job.h \
 pop3d/pop3cmd.h lib/userdb.h lib/netio.h lib/sysutil.h
pop3d/pop3d.h:
lib/job.h:
pop3d/pop3cmd.h:
lib/userdb.h:
lib/netio.h:
lib/sysutil.h:
