obj-mgr/tests/unit/t_dkim.o: tests/unit/t_dkim.c lib/dkim.h \
 tests/unit/tap.h
lib/dkim.h:
tests/unit/tap.h:
