obj-mgr/lib/injectproto.o: lib/injectproto.c lib/inject.h
lib/inject.h:
