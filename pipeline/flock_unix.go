//go:build unix

package pipeline

import "syscall"

// processAlive reports whether process pid exists (signal 0 checks without
// sending anything; EPERM: it exists, owned by someone else).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}
