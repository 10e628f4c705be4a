obj-mgr/tests/unit/t_inject.o: tests/unit/t_inject.c lib/inject.h \
 tests/unit/tap.h
lib/inject.h:
tests/unit/tap.h:
