obj-mgr/queue/hdraddr.o: queue/hdraddr.c queue/hdraddr.h
queue/hdraddr.h:
