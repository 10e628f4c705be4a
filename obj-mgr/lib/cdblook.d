obj-mgr/lib/cdblook.o: lib/cdblook.c lib/cdblook.h
lib/cdblook.h:
