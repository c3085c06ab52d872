// SPDX-License-Identifier: GPL-2.0
/*
 * Bytes as text: hex in (--hex requests) and out (replies in JSON), a hex
 * dump, and whether bytes read as text.  The CLI's invokers of every tier
 * print requests and replies with these.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libkfaas.h>

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

ssize_t kfaas_hex_decode(const char *hex, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	if (!strncmp(hex, "0x", 2) || !strncmp(hex, "0X", 2))
		hex += 2;
	for (; *hex; hex++) {
		int v;

		if (isspace((unsigned char)*hex) || *hex == ':')
			continue;
		v = hexval((unsigned char)*hex);
		if (v < 0)
			return -EINVAL;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= cap)
			return -ENOSPC;
		buf[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0)
		return -EINVAL;
	return (ssize_t)n;
}

char *kfaas_hex_encode(const void *data, size_t n)
{
	const uint8_t *p = data;
	char *s = malloc(2 * n + 1);
	size_t i;

	if (!s)
		return NULL;
	for (i = 0; i < n; i++)
		sprintf(s + 2 * i, "%02x", p[i]);
	s[2 * n] = '\0';
	return s;
}

void kfaas_hexdump(FILE *out, const void *data, size_t n)
{
	const uint8_t *p = data;
	size_t i, j;

	for (i = 0; i < n; i += 16) {
		fprintf(out, "  %04zx ", i);
		for (j = i; j < i + 16; j++)
			j < n ? fprintf(out, " %02x", p[j]) : fprintf(out, "   ");
		fprintf(out, "  ");
		for (j = i; j < i + 16 && j < n; j++)
			fputc(isprint(p[j]) ? p[j] : '.', out);
		fputc('\n', out);
	}
}

bool kfaas_printable(const void *data, size_t n)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i < n; i++)
		if (!isprint(p[i]) && p[i] != '\n' && p[i] != '\r' &&
		    p[i] != '\t')
			return false;
	return true;
}
