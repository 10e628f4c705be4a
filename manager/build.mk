# manager/: the queue manager sluice-send (scheduler, keeper, bounces and
# delay warnings); it reads and journals the queue's files through queue/
PROGS += sluice-send
sluice-send_OBJS = manager/send-main.c manager/send-msg.c \
	manager/send-sched.c manager/send-bounce.c manager/send-keeper.c \
	manager/dsn.c manager/msgid.c $(QUEUE_COMMON)

# the Message-ID finder of the queue manager's log lines
UNIT_TESTS += t_msgid
t_msgid_OBJS = tests/unit/t_msgid.c manager/msgid.c
FUZZERS += fuzz_msgid
fuzz_msgid_OBJS = tests/fuzz/fuzz_msgid.c manager/msgid.c
