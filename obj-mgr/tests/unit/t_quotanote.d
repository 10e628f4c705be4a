obj-mgr/tests/unit/t_quotanote.o: tests/unit/t_quotanote.c \
 lib/quotanote.h tests/unit/tap.h
lib/quotanote.h:
tests/unit/tap.h:
