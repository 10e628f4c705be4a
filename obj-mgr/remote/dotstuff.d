obj-mgr/remote/dotstuff.o: remote/dotstuff.c remote/dotstuff.h
remote/dotstuff.h:
