obj-clang/tests/unit/t_userdb.o: tests/unit/t_userdb.c lib/userdb.h \
  tests/unit/tap.h

lib/userdb.h:

tests/unit/tap.h:
