obj-mgr/remote/smtpreply.o: remote/smtpreply.c remote/smtpreply.h
remote/smtpreply.h:
