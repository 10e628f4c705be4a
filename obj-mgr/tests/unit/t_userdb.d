obj-mgr/tests/unit/t_userdb.o: tests/unit/t_userdb.c lib/sysutil.h \
 lib/userdb.h tests/unit/tap.h
lib/sysutil.h:
lib/userdb.h:
tests/unit/tap.h:
