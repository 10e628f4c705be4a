obj-mgr/conf/dovecot.o: conf/dovecot.c conf/conf.h lib/control.h \
 lib/logmsg.h
conf/conf.h:
lib/control.h:
lib/logmsg.h:
