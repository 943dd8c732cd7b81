package target_test

import "syscall"

// threadFaults is the calling thread's minor page faults so far
// (getrusage RUSAGE_THREAD), and true.
func threadFaults() (int64, bool) {
	const rusageThread = 1 // RUSAGE_THREAD, Linux only
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0, false
	}
	return ru.Minflt, true
}
