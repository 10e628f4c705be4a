obj-mgr/lib/job.o: lib/job.c lib/decimal.h lib/job.h lib/logmsg.h
lib/decimal.h:
lib/job.h:
lib/logmsg.h:
