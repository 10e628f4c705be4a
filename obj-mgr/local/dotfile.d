obj-mgr/local/dotfile.o: local/dotfile.c local/dotfile.h
local/dotfile.h:
