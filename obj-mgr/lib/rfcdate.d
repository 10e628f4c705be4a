obj-mgr/lib/rfcdate.o: lib/rfcdate.c lib/rfcdate.h
lib/rfcdate.h:
