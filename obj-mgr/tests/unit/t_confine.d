obj-mgr/tests/unit/t_confine.o: tests/unit/t_confine.c tests/unit/tap.h \
 lib/job.h tests/unit/../../pop3d/pop3d.h \
 tests/unit/../../pop3d/pop3cmd.h lib/userdb.h
tests/unit/tap.h:
lib/job.h:
tests/unit/../../pop3d/pop3d.h:
tests/unit/../../pop3d/pop3cmd.h:
lib/userdb.h:
