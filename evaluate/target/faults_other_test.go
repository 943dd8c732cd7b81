//go:build !linux

package target_test

// threadFaults reports false: there is no per-thread fault count.
func threadFaults() (int64, bool) { return 0, false }
