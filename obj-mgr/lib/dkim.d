obj-mgr/lib/dkim.o: lib/dkim.c lib/dkim.h
lib/dkim.h:
