obj-mgr/pop3d/front.o: pop3d/front.c lib/job.h pop3d/pop3d.h \
 pop3d/pop3cmd.h lib/userdb.h lib/netio.h lib/tlsw.h lib/logmsg.h \
 lib/netaddr.h
lib/job.h:
pop3d/pop3d.h:
pop3d/pop3cmd.h:
lib/userdb.h:
lib/netio.h:
lib/tlsw.h:
lib/logmsg.h:
lib/netaddr.h:
