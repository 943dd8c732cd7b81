package native

import "syscall"

// osYield gives the thread's core to another process's thread that is
// ready to run on it, if any, and returns at once otherwise.
func osYield() { syscall.Syscall(syscall.SYS_SCHED_YIELD, 0, 0, 0) }
