//go:build !unix

package models

import "time"

// cpuTime is 0 where getrusage(2) is not available: the benchmarks then
// report no CPU-time figures.
func cpuTime() time.Duration { return 0 }
