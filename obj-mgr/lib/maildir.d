obj-mgr/lib/maildir.o: lib/maildir.c lib/maildir.h lib/sysutil.h
lib/maildir.h:
lib/sysutil.h:
