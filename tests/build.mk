# tests/: C unit tests and libFuzzer targets for lib/ (see HACKING.md)
UNIT_TESTS += t_address t_netaddr
t_address_OBJS = tests/unit/t_address.c
t_netaddr_OBJS = tests/unit/t_netaddr.c
UNIT_TESTS += t_userdb
t_userdb_OBJS = tests/unit/t_userdb.c
UNIT_TESTS += t_maildir
t_maildir_OBJS = tests/unit/t_maildir.c
FUZZERS += fuzz_address fuzz_netaddr fuzz_userdb
fuzz_address_OBJS = tests/fuzz/fuzz_address.c
fuzz_netaddr_OBJS = tests/fuzz/fuzz_netaddr.c
fuzz_userdb_OBJS = tests/fuzz/fuzz_userdb.c
UNIT_TESTS += t_tcpenv
t_tcpenv_OBJS = tests/unit/t_tcpenv.c
FUZZERS += fuzz_tcprules
fuzz_tcprules_OBJS = tests/fuzz/fuzz_tcprules.c
