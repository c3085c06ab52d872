// SPDX-License-Identifier: GPL-2.0
/* Messages to stderr: the journal under systemd (with priorities). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "kfaasd.h"

void log_msg(int level, const char *fmt, ...)
{
	static const char *const prefix[] = { "<3>error: ", "<4>warning: ",
					      "<6>", "<7>debug: " };
	static int journal = -1;
	va_list ap;

	if (journal < 0)
		journal = getenv("JOURNAL_STREAM") != NULL;
	if (level > LOG_INFO + opts.verbose)
		return;
	if (level < 0 || level > LOG_DEBUG)
		level = LOG_ERR;
	/* sd-daemon(3) priority prefixes for the journal; one line at a time
	 * (a cluster node logs from its threads too) */
	flockfile(stderr);
	fputs(journal ? prefix[level] : prefix[level] + 3, stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	funlockfile(stderr);
}
