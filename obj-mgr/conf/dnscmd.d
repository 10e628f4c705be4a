obj-mgr/conf/dnscmd.o: conf/dnscmd.c conf/conf.h lib/control.h
conf/conf.h:
lib/control.h:
