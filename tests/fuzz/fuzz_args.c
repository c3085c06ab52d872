// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the parsers of command-line input — addresses with
 * ports, hex payloads, route keys, function and tier names.  The input is
 * split at NUL bytes into the words a user could type.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <kfaas_frame.h>
#include <libkfaas.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *w[3] = { 0 }, *buf = malloc(size + 1), *p;
	struct kfaas_route_key key;
	uint8_t addr[16], hex[64];
	uint16_t port = 0;
	int fam = 0, i;
	char s[96];

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	p = buf;
	for (i = 0; i < 3; i++) {
		w[i] = p;
		p += strlen(p);
		if (p < buf + size)
			p++;
	}
	if (kfaas_hostport_parse(w[0], &fam, addr, &port) == 0 &&
	    fam != 0 && fam != 4 && fam != 6)
		abort();
	if (kfaas_hex_decode(w[0], hex, sizeof(hex)) > (ssize_t)sizeof(hex))
		abort();
	if (kfaas_route_key_make(&key, w[0], w[1], *w[2] ? w[2] : NULL) == 0) {
		struct kfaas_route_key again;
		char port_s[8];

		kfaas_route_key_str(&key, s, sizeof(s));
		snprintf(port_s, sizeof(port_s), "%u", ntohs(key.port));
		if (key.port == 0 || (key.proto != 6 && key.proto != 17) ||
		    kfaas_route_key_make(&again, w[0], port_s,
					 *w[2] ? w[2] : NULL) ||
		    memcmp(&again, &key, sizeof(key)))
			abort();
	}
	kfaas_name_valid(w[0]);
	kfaas_tier_parse(w[1]);
	free(buf);
	return 0;
}
