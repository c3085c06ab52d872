// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the userspace frame parser (user/lib/frame.c) on
 * arbitrary bytes, and the builder: a frame built from fuzzed fields must
 * parse back to the same fields with valid checksums.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <kfaas_frame.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kfaas_frame_spec s = { .vlan = -1 };
	struct kfaas_frame_info fi;
	const char *why = NULL;
	uint8_t buf[2048];
	ssize_t n;

	if (kfaas_frame_parse(data, size, &fi, &why) == 0) {
		if (fi.payload_off + fi.payload_len > size)
			abort();
	} else if (!why) {
		abort();
	}
	if (size < 40)
		return 0;
	s.family = data[0] & 1 ? 6 : 4;
	s.vlan = data[1] & 1 ? (data[2] << 4 | (data[3] & 15)) & 0xfff : -1;
	memcpy(s.saddr, data + 4, 16);
	memcpy(s.daddr, data + 20, 16);
	s.sport = (uint16_t)(data[36] << 8 | data[37]);
	s.dport = (uint16_t)(data[38] << 8 | data[39]);
	s.payload = data + 40;
	s.len = size - 40;
	n = kfaas_frame_build(&s, buf, sizeof(buf));
	if (n < 0)
		return 0;
	if (kfaas_frame_parse(buf, (size_t)n, &fi, NULL) || !fi.ip_csum_ok ||
	    !fi.udp_csum_ok || fi.family != s.family || fi.vlan != s.vlan ||
	    fi.sport != s.sport || fi.dport != s.dport ||
	    fi.payload_len != s.len ||
	    memcmp(buf + fi.payload_off, s.payload, s.len) ||
	    memcmp(fi.saddr, s.saddr, s.family == 6 ? 16 : 4))
		abort();
	return 0;
}
