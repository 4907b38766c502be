package project

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Interruptible returns a context cancelled by the first Ctrl-C (or
// SIGTERM), which stops a run cleanly: running stages stop after their
// epoch and everything completed is kept. A second one exits at once with
// code 130, whatever is running (the store's writes are atomic), so Ctrl-C
// always works, even when something is stuck. The returned function stops
// listening.
func Interruptible() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		cancel()
		<-sigs
		fmt.Fprintln(os.Stderr, "repro: interrupted again: exiting now")
		os.Exit(130)
	}()
	return ctx, func() {
		signal.Stop(sigs)
		cancel()
	}
}
