obj-clang/queue/msgid.o: queue/msgid.c queue/msgid.h

queue/msgid.h:
