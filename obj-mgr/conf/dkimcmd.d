obj-mgr/conf/dkimcmd.o: conf/dkimcmd.c conf/conf.h lib/control.h \
 lib/dkim.h
conf/conf.h:
lib/control.h:
lib/dkim.h:
