obj-mgr/lib/anvil.o: lib/anvil.c lib/anvil.h lib/control.h lib/sysutil.h
lib/anvil.h:
lib/control.h:
lib/sysutil.h:
