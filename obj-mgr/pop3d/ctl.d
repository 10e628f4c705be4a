obj-mgr/pop3d/ctl.o: pop3d/ctl.c pop3d/pop3d.h lib/job.h pop3d/pop3cmd.h \
 lib/userdb.h
pop3d/pop3d.h:
lib/job.h:
pop3d/pop3cmd.h:
lib/userdb.h:
