# queue/: the queue's files (qfile, layout, scan), the injector (sluice-queue,
# sluice-injectd), the service's starter, the tools; the manager is in manager/
QUEUE_COMMON = queue/qfile.c queue/qlayout.c queue/qfork.c \
	queue/qscan.c

PROGS += sluice-queue sluice-start sluice-sendmail \
	sluice-qread sluice-qstat sluice-qctl sluice-qcat
sluice-queue_OBJS = queue/sluice-queue.c queue/qinject.c queue/envelope.c queue/qsign.c \
	queue/hdraddr.c $(QUEUE_COMMON)
sluice-sendmail_OBJS = queue/sendmail.c queue/hdraddr.c $(QUEUE_COMMON)
sluice-qread_OBJS = queue/qread.c queue/qtool.c $(QUEUE_COMMON)
sluice-qstat_OBJS = queue/qstat.c queue/qtool.c $(QUEUE_COMMON)
sluice-qctl_OBJS = queue/qctl.c queue/qtool.c $(QUEUE_COMMON)
sluice-qcat_OBJS = queue/qcat.c queue/qtool.c $(QUEUE_COMMON)
sluice-start_OBJS = queue/sluice-start.c queue/start-prog.c $(QUEUE_COMMON)
# the queue service with its test hooks (qstart.h): bin/ only, never installed
TEST_PROGS += sluice-start-test
sluice-start-test_OBJS = queue/sluice-start.c tests/queue/start-hooks.c \
	$(QUEUE_COMMON)
UNIT_TESTS += t_qfile
t_qfile_OBJS = tests/unit/t_qfile.c queue/qfile.c queue/envelope.c manager/dsn.c

FUZZERS += fuzz_qfile fuzz_hdraddr
fuzz_qfile_OBJS = tests/fuzz/fuzz_qfile.c queue/qfile.c queue/envelope.c
fuzz_hdraddr_OBJS = tests/fuzz/fuzz_hdraddr.c queue/hdraddr.c

UNIT_TESTS += t_hdraddr
t_hdraddr_OBJS = tests/unit/t_hdraddr.c queue/hdraddr.c

# sluice-report: a summary of the logs (per day, top senders, rejections,
# deferrals, failed logins)
PROGS += sluice-report
sluice-report_OBJS = queue/report.c queue/logparse.c
UNIT_TESTS += t_logparse
t_logparse_OBJS = tests/unit/t_logparse.c queue/logparse.c
FUZZERS += fuzz_logparse
fuzz_logparse_OBJS = tests/fuzz/fuzz_logparse.c queue/logparse.c

# the injection service (lib/inject.h): the same core as sluice-queue
PROGS += sluice-injectd
sluice-injectd_OBJS = queue/injectd.c queue/qinject.c queue/envelope.c \
	queue/qsign.c queue/hdraddr.c $(QUEUE_COMMON)
FUZZERS += fuzz_inject
fuzz_inject_OBJS = tests/fuzz/fuzz_inject.c queue/envelope.c
UNIT_TESTS += t_inject
t_inject_OBJS = tests/unit/t_inject.c
