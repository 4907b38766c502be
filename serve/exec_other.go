//go:build !unix

package serve

import (
	"fmt"
	"net"
	"runtime"
)

func inheritedListener() (net.Listener, error) { return nil, nil }

// reexec is not available here: the rebuilt binary is in place, and serve
// says to start it again.
func (s *serveSession) reexec(ln net.Listener, res buildResult, todo *work) error {
	return fmt.Errorf("restarting in place is not supported on %s: stop repro serve and start it again", runtime.GOOS)
}
