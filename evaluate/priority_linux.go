package evaluate

import (
	"runtime"
	"syscall"
)

// yieldToInference lowers the calling goroutine's thread to the lowest
// scheduling priority (nice 19) for the rest of the goroutine's life: the
// reader then runs on an idle core as fast as before, but on a busy one
// it no longer preempts the thread running the model each time it is
// woken. The goroutine keeps its thread, which ends with it (it is never
// unlocked), so no other goroutine runs at that priority.
func yieldToInference() {
	runtime.LockOSThread()
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), 19)
}
