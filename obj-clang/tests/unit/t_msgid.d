obj-clang/tests/unit/t_msgid.o: tests/unit/t_msgid.c tests/unit/tap.h \
  tests/unit/../../queue/msgid.h

tests/unit/tap.h:

tests/unit/../../queue/msgid.h:
