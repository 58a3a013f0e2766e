/* SPDX-License-Identifier: Apache-2.0 */
/* Phase timestamps of a pod's start, for bench/phases.sh: compiled in only when nucleus is
 * built with -DNC_POD_TRACE (never in a normal build), and written only when NC_POD_TRACE_FD
 * names a descriptor.  Each call writes "pid monotonic-ns label" for the phase that ends there.
 * Never called where another process runs on the same memory (pod.c, "Shared memory"). */
#ifndef NC_SANDBOX_TRACE_H
#define NC_SANDBOX_TRACE_H

#ifdef NC_POD_TRACE
void nc_pod_trace(const char *label);
#define NC_TRACE(label) nc_pod_trace(label)
#else
#define NC_TRACE(label) ((void)0)
#endif

#endif
