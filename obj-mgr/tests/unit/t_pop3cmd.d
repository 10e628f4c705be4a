obj-mgr/tests/unit/t_pop3cmd.o: tests/unit/t_pop3cmd.c tests/unit/tap.h \
 tests/unit/../../pop3d/pop3cmd.h tests/unit/../../pop3d/pop3d.h \
 lib/job.h tests/unit/../../pop3d/pop3cmd.h lib/userdb.h
tests/unit/tap.h:
tests/unit/../../pop3d/pop3cmd.h:
tests/unit/../../pop3d/pop3d.h:
lib/job.h:
tests/unit/../../pop3d/pop3cmd.h:
lib/userdb.h:
