# queue/: the injector, the queue manager and its starter, the tools
QUEUE_COMMON = queue/qfile.c queue/qlayout.c queue/rfcdate.c

PROGS += sluice-queue sluice-start sluice-send
sluice-queue_OBJS = queue/sluice-queue.c queue/envelope.c $(QUEUE_COMMON)
sluice-start_OBJS = queue/sluice-start.c $(QUEUE_COMMON)
sluice-send_OBJS = queue/send-main.c queue/send-msg.c queue/send-sched.c \
	queue/send-bounce.c queue/dsn.c $(QUEUE_COMMON)
