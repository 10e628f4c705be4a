obj-mgr/lib/tlsw.o: lib/tlsw.c lib/control.h lib/tlsw.h
lib/control.h:
lib/tlsw.h:
