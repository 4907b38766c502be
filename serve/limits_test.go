package serve

import (
	"fmt"
	"os"
	"runtime"
	"time"
)

// slowLimit scales a time limit of the tests by the load average per core
// (at least d), as cmd/repro's tests do (issue 28).
func slowLimit(d time.Duration) time.Duration {
	var load float64
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Sscan(string(b), &load)
	}
	return time.Duration(float64(d) * max(1, load/float64(runtime.NumCPU())))
}
