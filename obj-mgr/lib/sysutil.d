obj-mgr/lib/sysutil.o: lib/sysutil.c lib/sysutil.h
lib/sysutil.h:
