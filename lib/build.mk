# lib/: code shared by two or more programs; see HACKING.md
LIB_SRCS = $(wildcard lib/*.c)

# unit tests and fuzz targets of the coordinator's lib files
UNIT_TESTS += t_job t_netio t_dkim
t_dkim_OBJS = tests/unit/t_dkim.c
t_job_OBJS = tests/unit/t_job.c
t_netio_OBJS = tests/unit/t_netio.c
FUZZERS += fuzz_job fuzz_dkim
fuzz_dkim_OBJS = tests/fuzz/fuzz_dkim.c
fuzz_job_OBJS = tests/fuzz/fuzz_job.c
