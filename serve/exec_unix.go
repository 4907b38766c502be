//go:build unix

package serve

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"
)

// inheritedListener is the listening socket a previous serve process handed
// over (envServeFD), or nil.
func inheritedListener() (net.Listener, error) {
	v := os.Getenv(envServeFD)
	if v == "" {
		return nil, nil
	}
	os.Unsetenv(envServeFD)
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		return nil, fmt.Errorf("%s=%q: not a file descriptor", envServeFD, v)
	}
	f := os.NewFile(uintptr(fd), "listener")
	defer f.Close()
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("the listening socket handed over: %w", err)
	}
	return ln, nil
}

// reexec replaces this process with the rebuilt binary, same arguments,
// handing over the listening socket (so the address stays and connections
// that arrive meanwhile wait in its queue) and the session's history. The
// pages' server first stops accepting and finishes the requests it has
// (pauseHTTP), so that the exec cuts none off; if the exec fails, it serves
// on. It returns only on failure.
func (s *serveSession) reexec(ln net.Listener, res buildResult, todo *work) error {
	tl, ok := ln.(*net.TCPListener)
	if !ok {
		return fmt.Errorf("cannot hand over a %T", ln)
	}
	f, err := tl.File() // a duplicate, close-on-exec
	if err != nil {
		return err
	}
	defer f.Close()
	// Not f.Fd(): it puts the descriptor in blocking mode, and with it the
	// listener the server accepts on (the mode belongs to the socket, which
	// both descriptors share): an accept(2) blocked in the kernel would
	// outlive the pause below and take a connection that the exec cuts off.
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var fd uintptr
	var errno syscall.Errno
	if err := rc.Control(func(d uintptr) {
		fd = d
		_, _, errno = syscall.Syscall(syscall.SYS_FCNTL, d, syscall.F_SETFD, 0)
	}); err != nil {
		return err
	}
	if errno != 0 {
		return fmt.Errorf("fcntl: %v", errno)
	}
	trigger := relPaths(s.root, todo.goFiles)
	if len(trigger) == 0 {
		trigger = []string{"the Go source"}
	}
	hp, err := s.writeHandoff(res.digest, trigger)
	if err != nil {
		return err
	}
	env := append(serveChildEnv(), envServeFD+"="+strconv.Itoa(int(fd)), envServeHandoff+"="+hp)
	fmt.Fprintf(s.out, "repro serve: restarting %s\n", res.bin)
	resume := s.pauseHTTP(tl)
	err = syscall.Exec(res.bin, append([]string{res.bin}, os.Args[1:]...), env)
	resume()
	os.Remove(hp)
	return err
}
