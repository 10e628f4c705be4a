obj-mgr/lib/atomicfile.o: lib/atomicfile.c lib/atomicfile.h lib/sysutil.h
lib/atomicfile.h:
lib/sysutil.h:
