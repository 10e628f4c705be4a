obj-mgr/lib/decimal.o: lib/decimal.c lib/decimal.h
lib/decimal.h:
