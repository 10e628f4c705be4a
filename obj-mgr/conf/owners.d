obj-mgr/conf/owners.o: conf/owners.c conf/conf.h lib/logmsg.h \
 lib/settings.h lib/userdb.h
conf/conf.h:
lib/logmsg.h:
lib/settings.h:
lib/userdb.h:
