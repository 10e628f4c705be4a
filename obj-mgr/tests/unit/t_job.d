obj-mgr/tests/unit/t_job.o: tests/unit/t_job.c lib/job.h tests/unit/tap.h
lib/job.h:
tests/unit/tap.h:
