# local/: sluice-local, local delivery (issue 5)
LOCAL_SRCS = local/deliver.c local/outcome.c local/msgcopy.c \
	local/mdeliver.c local/quota.c local/mdsize.c local/user.c \
	local/dotfile.c local/hdrscan.c local/forward.c local/program.c \
	local/quotawarn.c
PROGS += sluice-local
sluice-local_OBJS = local/main.c $(LOCAL_SRCS)

UNIT_TESTS += t_local_parse
t_local_parse_OBJS = tests/unit/t_local_parse.c local/dotfile.c \
	local/hdrscan.c local/mdsize.c

FUZZERS += fuzz_local_dotfile fuzz_local_hdrscan fuzz_local_mdsize
fuzz_local_dotfile_OBJS = tests/fuzz/fuzz_local_dotfile.c local/dotfile.c
fuzz_local_hdrscan_OBJS = tests/fuzz/fuzz_local_hdrscan.c local/hdrscan.c
fuzz_local_mdsize_OBJS = tests/fuzz/fuzz_local_mdsize.c local/mdsize.c
