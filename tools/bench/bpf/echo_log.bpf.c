// SPDX-License-Identifier: GPL-2.0
/*
 * The echo function with one kfaas_log() call per request: the cost of
 * logging in benchmark 1 (kfaas-bench dispatch, docs/performance.md).
 * Built as echo_log (the SDK's rate limit: past its burst every call is
 * dropped and counted) and as echo_log_all (-DKFAAS_LOG_RATE and
 * -DKFAAS_LOG_BURST huge: every call reaches the ring).
 */
#include "vmlinux.h"
#include "kfaas.h"

KFAAS_XDP_FUNCTION(echo_log)(struct kfaas_req *req)
{
	kfaas_log(req, "echo of %u bytes", kfaas_payload_len(req));
	return kfaas_payload_len(req);
}
