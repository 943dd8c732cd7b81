//go:build !linux

package native

import "runtime"

// osYield lets other goroutines run (other systems: no thread yield).
func osYield() { runtime.Gosched() }
