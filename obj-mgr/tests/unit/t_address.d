obj-mgr/tests/unit/t_address.o: tests/unit/t_address.c lib/address.h \
 tests/unit/tap.h
lib/address.h:
tests/unit/tap.h:
