obj-mgr/lib/control.o: lib/control.c lib/control.h lib/settings.h
lib/control.h:
lib/settings.h:
