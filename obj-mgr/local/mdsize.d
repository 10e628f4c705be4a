obj-mgr/local/mdsize.o: local/mdsize.c local/mdsize.h
local/mdsize.h:
