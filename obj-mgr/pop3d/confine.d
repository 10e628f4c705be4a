obj-mgr/pop3d/confine.o: pop3d/confine.c pop3d/pop3d.h lib/job.h \
 pop3d/pop3cmd.h lib/userdb.h
pop3d/pop3d.h:
lib/job.h:
pop3d/pop3cmd.h:
lib/userdb.h:
