obj-clang/lib/sysutil.o: lib/sysutil.c lib/sysutil.h

lib/sysutil.h:
