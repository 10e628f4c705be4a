obj-clang/queue/rfcdate.o: queue/rfcdate.c queue/rfcdate.h

queue/rfcdate.h:
