// Package memlimit finds how much memory the process may use: the
// container's limit (cgroup v2 memory.max, or cgroup v1
// memory.limit_in_bytes), else the machine's physical memory
// (/proc/meminfo MemTotal), and derives the server's memory budgets from
// it.
package memlimit
