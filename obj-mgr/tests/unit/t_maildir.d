obj-mgr/tests/unit/t_maildir.o: tests/unit/t_maildir.c lib/maildir.h \
 tests/unit/tap.h
lib/maildir.h:
tests/unit/tap.h:
