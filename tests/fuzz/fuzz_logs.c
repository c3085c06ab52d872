// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the function log entries of kfaasd's history, as
 * 'kfaas logs' reads them back (user/lib/logs.c), and the times --since
 * takes.  An accepted line is written again and must parse back to the
 * same entry; its JSON is valid; printing it as text never fails.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <libkfaas.h>
#include <kfaas_logs.h>

static int same(const struct kfaas_log_entry *a, const struct kfaas_log_entry *b)
{
	return a->time_ns == b->time_ns && !strcmp(a->fn, b->fn) &&
	       a->tier == b->tier && a->kind == b->kind &&
	       a->family == b->family && a->proto == b->proto &&
	       a->sport == b->sport && a->dport == b->dport &&
	       !memcmp(a->saddr, b->saddr, 16) && !memcmp(a->daddr, b->daddr, 16) &&
	       a->nosrc == b->nosrc && a->ran == b->ran &&
	       a->duration_ns == b->duration_ns && !strcmp(a->error, b->error) &&
	       a->dropped == b->dropped && a->reason == b->reason;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kfaas_log_entry *e = malloc(2 * sizeof(*e)), *b;
	char *line = malloc(size + 1), *again;
	json_object *o;
	FILE *null;
	uint64_t t;

	if (!e || !line)
		goto out;
	b = e + 1;
	memcpy(line, data, size);
	line[size] = '\0';
	kfaas_log_time_parse(line, &t);
	if (kfaas_log_entry_parse(line, e))
		goto out;
	again = kfaas_log_entry_json(e);
	if (!again)
		goto out;
	o = json_tokener_parse(again);
	if (!o || kfaas_log_entry_parse(again, b) || !same(e, b))
		abort();
	json_object_put(o);
	free(again);
	null = fopen("/dev/null", "w");
	if (null) {
		kfaas_log_entry_print(null, e);
		fclose(null);
	}
out:
	free(line);
	free(e);
	return 0;
}
