//go:build !unix

package testutil

import "time"

// ProcessCPU is 0 where getrusage is not available: benchmarks then report
// no CPU time.
func ProcessCPU() time.Duration { return 0 }
