# lib/: code shared by two or more programs; see HACKING.md
LIB_SRCS = $(wildcard lib/*.c)
