obj-mgr/pop3d/main.o: pop3d/main.c lib/job.h pop3d/pop3d.h \
 pop3d/pop3cmd.h lib/userdb.h lib/control.h lib/exitcodes.h lib/logmsg.h \
 lib/maildir.h lib/netaddr.h lib/sysutil.h lib/tcpenv.h lib/tlsw.h
lib/job.h:
pop3d/pop3d.h:
pop3d/pop3cmd.h:
lib/userdb.h:
lib/control.h:
lib/exitcodes.h:
lib/logmsg.h:
lib/maildir.h:
lib/netaddr.h:
lib/sysutil.h:
lib/tcpenv.h:
lib/tlsw.h:
