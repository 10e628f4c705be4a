/*
 * t_smtpmisc.c -- unit tests for sluice-smtpd's small pure parts: the
 * Received field, queue exit codes to replies, SASL decoding.
 */
#include <string.h>

#include "../../smtpd/qreply.h"
#include "../../smtpd/received.h"
#include "../../smtpd/sasl.h"
#include "tap.h"

static void
test_received(void)
{
	stralloc sa = {0};
	struct received_info ri;
	char buf[16];

	CHECK(!strcmp(received_proto(0, 0, 0, 0), "SMTP"), "HELO is SMTP");
	CHECK(!strcmp(received_proto(1, 0, 0, 0), "ESMTP"), "ESMTP");
	CHECK(!strcmp(received_proto(1, 1, 0, 0), "ESMTPS"), "ESMTPS");
	CHECK(!strcmp(received_proto(1, 0, 1, 0), "ESMTPA"), "ESMTPA");
	CHECK(!strcmp(received_proto(1, 1, 1, 0), "ESMTPSA"), "ESMTPSA");
	CHECK(!strcmp(received_proto(1, 1, 1, 1), "UTF8SMTPSA"), "UTF8SMTPSA");
	received_sanitize(buf, sizeof buf, "a b(c)\n;[1.2]", 13);
	CHECK(!strcmp(buf, "a_b_c___[1.2]"), "HELO sanitized");
	received_sanitize(buf, sizeof buf, "0123456789abcdefghij", 20);
	CHECK(strlen(buf) == 15, "sanitize bounded");

	memset(&ri, 0, sizeof ri);
	ri.helo = "client (evil)\n";
	ri.ip = "192.0.2.1";
	ri.me = "mx.example";
	ri.esmtp = ri.tls = ri.authed = 1;
	ri.tlsinfo = "TLSv1.3 TLS_AES_256_GCM_SHA384 256";
	ri.authuser = "u@example.org";
	ri.rcpt = "r@example.org";
	ri.when = 0;
	CHECK(received_build(&sa, &ri), "build");
	CHECK(sa.len > 0 && sa.s[sa.len - 1] == '\n', "ends with LF");
	CHECK(memmem(sa.s, sa.len, "from client__evil__ ([192.0.2.1])", 33) != 0, "from part");
	CHECK(memmem(sa.s, sa.len, "with ESMTPSA", 12) != 0, "protocol");
	CHECK(memmem(sa.s, sa.len, "(TLSv1.3 TLS_AES_256_GCM_SHA384 256)", 36) != 0, "TLS");
	CHECK(memmem(sa.s, sa.len, "(authenticated as u@example.org)", 32) != 0, "login");
	CHECK(memmem(sa.s, sa.len, "for <r@example.org>;", 20) != 0, "for");
	CHECK(memmem(sa.s, sa.len, "Thu, 01 Jan 1970 00:00:00 +0000", 31) != 0, "date");
	ri.authuser = 0;
	ri.ip = "2001:db8::1";
	received_build(&sa, &ri);
	CHECK(!memmem(sa.s, sa.len, "authenticated", 13), "no login unless asked");
	CHECK(memmem(sa.s, sa.len, "([IPv6:2001:db8::1])", 20) != 0, "IPv6 literal");
	ri.localuser = "bob uid 1000";
	received_build(&sa, &ri);
	CHECK(memmem(sa.s, sa.len, "from client__evil__ (local user bob uid "
	    "1000)\n\tby mx.example", 51) != 0 && !memmem(sa.s, sa.len,
	    "[IPv6", 5), "local user instead of an IP");
	stralloc_free(&sa);
}

static void
test_qreply(void)
{
	CHECK(!strncmp(smtp_reply_for_queue_exit(0), "250 ", 4), "0 -> 250");
	CHECK(!strncmp(smtp_reply_for_queue_exit(31), "554 ", 4), "31 -> 554");
	CHECK(!strncmp(smtp_reply_for_queue_exit(11), "554 ", 4), "11 -> 554");
	CHECK(!strncmp(smtp_reply_for_queue_exit(20), "554 ", 4), "20 -> 5xx");
	CHECK(!strncmp(smtp_reply_for_queue_exit(53), "451 4.3.1", 9), "53 -> 451 4.3.1");
	CHECK(!strncmp(smtp_reply_for_queue_exit(71), "451 ", 4), "71 -> 451");
	CHECK(!strncmp(smtp_reply_for_queue_exit(81), "451 ", 4), "81 -> 451");
	CHECK(!strncmp(smtp_reply_for_queue_exit(-1), "451 ", 4), "crash -> 451");
	CHECK(!strncmp(smtp_reply_for_queue_exit(120), "451 ", 4), "other -> 451");
	CHECK(queue_exit_permanent(31) && !queue_exit_permanent(71), "permanent range");
}

static void
test_sasl(void)
{
	char out[64], user[SASL_USER_MAX + 1], pass[SASL_PASS_MAX + 1];
	long n;

	n = sasl_b64decode("AHVzZXIAcGFzcw==", 16, out, sizeof out);
	CHECK(n == 10 && !memcmp(out, "\0user\0pass", 10), "base64 decode");
	CHECK(sasl_b64decode("AHV!", 4, out, sizeof out) < 0, "bad base64");
	CHECK(sasl_b64decode("QUFBQUFBQUFBQQ==", 16, out, 4) < 0, "output bound");
	CHECK(sasl_plain_split("\0user\0pass", 10, user, pass) && !strcmp(user, "user") &&
	    !strcmp(pass, "pass"), "PLAIN split");
	CHECK(sasl_plain_split("user\0user\0pass", 14, user, pass), "authzid = authcid");
	CHECK(!sasl_plain_split("admin\0user\0pass", 15, user, pass), "authzid other user");
	CHECK(!sasl_plain_split("\0user", 5, user, pass), "one NUL only");
	CHECK(!sasl_plain_split("\0\0pass", 6, user, pass), "empty user");
	CHECK(!sasl_plain_split("\0user\0", 6, user, pass), "empty password");
	CHECK(!sasl_plain_split("\0user\0pa\0ss", 11, user, pass), "NUL in password");
	CHECK(sasl_field("bob", 3, user, SASL_USER_MAX, 0) && !strcmp(user, "bob"), "LOGIN field");
	CHECK(!sasl_field("", 0, user, SASL_USER_MAX, 0), "empty LOGIN field");
}

int
main(void)
{
	test_received();
	test_qreply();
	test_sasl();
	return TAP_DONE();
}
