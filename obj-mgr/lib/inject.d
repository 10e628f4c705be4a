obj-mgr/lib/inject.o: lib/inject.c lib/control.h lib/exitcodes.h \
 lib/inject.h lib/sysutil.h
lib/control.h:
lib/exitcodes.h:
lib/inject.h:
lib/sysutil.h:
