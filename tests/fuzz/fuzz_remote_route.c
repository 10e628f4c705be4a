/*
 * fuzz_remote_route.c -- libFuzzer target for the configuration parsers
 * of sluice-remote: routes.cdb values and remoteauth files.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../remote/remoteauth.h"
#include "../../remote/route.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct route r;
	struct credentials c;

	if (route_parse(s, size, &r)) {
		if (r.hp.port < 1 || r.hp.port > 65535 || !r.hp.host[0] ||
		    r.npin > ROUTE_PIN_MAX || strlen(r.cafile) > ROUTE_CAFILE_MAX ||
		    (r.cafile[0] && (r.cafile[0] != '/' || !r.tls_verify)))
			abort();
	}
	if (remoteauth_find(s, size, "relay.example.net", &c)) {
		char b64[AUTH_B64_MAX];
		if (!c.user[0] || !c.pass[0] || strlen(c.user) > AUTH_FIELD_MAX ||
		    strlen(c.pass) > AUTH_FIELD_MAX)
			abort();
		auth_plain_response(&c, b64);
	}
	return 0;
}
