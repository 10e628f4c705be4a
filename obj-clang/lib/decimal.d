obj-clang/lib/decimal.o: lib/decimal.c lib/decimal.h

lib/decimal.h:
