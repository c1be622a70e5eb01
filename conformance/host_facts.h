// conformance/host_facts.h — what the report says about the OS it judged:
// kernel, libc, IPC limits, and what the OS offers that some tests need
// (blocked-state introspection, /proc/sysvipc, namespaces, ptys, core dumps,
// pidfd). Collected by a child running in the suites' own isolation, because
// the System V limits and /proc/sysvipc belong to the IPC namespace.
//
//   Json facts = collect_host_facts();   // in the child: report --host-facts
//   for (const HostFactLabel& l : host_fact_labels()) …   // display order
#pragma once

#include <vector>

#include "conformance/json.h"

namespace conformance {

// Probes and reads everything, as one JSON object of strings.
Json collect_host_facts();

struct HostFactLabel {
  const char* key;    // JSON key
  const char* label;  // Markdown label
};
// The keys collect_host_facts() sets, in the order the report shows them.
const std::vector<HostFactLabel>& host_fact_labels();

}  // namespace conformance
