//go:build unix

package main

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
// that arrive meanwhile wait in its queue) and the session's history. It
// returns only on failure.
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
	fd := f.Fd()
	if _, _, errno := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_SETFD, 0); errno != 0 {
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
	err = syscall.Exec(res.bin, append([]string{res.bin}, os.Args[1:]...), env)
	os.Remove(hp)
	return err
}
