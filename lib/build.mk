# lib/: code shared by two or more programs; see HACKING.md
LIB_SRCS = $(wildcard lib/*.c)

# unit tests and fuzz targets of the coordinator's lib files
UNIT_TESTS += t_job t_packet t_netio t_dkim t_srs
t_packet_OBJS = tests/unit/t_packet.c
t_srs_OBJS = tests/unit/t_srs.c
t_dkim_OBJS = tests/unit/t_dkim.c
t_job_OBJS = tests/unit/t_job.c
t_netio_OBJS = tests/unit/t_netio.c
FUZZERS += fuzz_job fuzz_dkim fuzz_srs
fuzz_srs_OBJS = tests/fuzz/fuzz_srs.c
fuzz_dkim_OBJS = tests/fuzz/fuzz_dkim.c
fuzz_job_OBJS = tests/fuzz/fuzz_job.c

UNIT_TESTS += t_quotanote
t_quotanote_OBJS = tests/unit/t_quotanote.c
FUZZERS += fuzz_quotanote
fuzz_quotanote_OBJS = tests/fuzz/fuzz_quotanote.c

# the counter service's request splitter (lib/anvil.c)
FUZZERS += fuzz_anvil
fuzz_anvil_OBJS = tests/fuzz/fuzz_anvil.c
