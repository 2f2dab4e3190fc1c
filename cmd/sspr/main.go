// Command sspr is the self-service password reset service: directory sync, reports and
// administration from the shell. This package is the only place that knows every
// implementation; it reads the configuration and the environment and wires the rest.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/sspr/sspr/internal/config"
	"github.com/sspr/sspr/internal/syncer"
)

// Exit codes.
const (
	exitOK      = 0
	exitError   = 1
	exitConfig  = 2 // bad configuration or usage
	exitRefused = 3 // the accidental-delete guard held
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := newRootCmd().ExecuteContext(ctx)
	os.Exit(exitCode(err))
}

func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ce *config.Error
	var ue usageError
	var ge *syncer.GuardError
	switch {
	case errors.As(err, &ce):
		fmt.Fprintln(os.Stderr, err)
		return exitConfig
	case errors.As(err, &ue):
		fmt.Fprintln(os.Stderr, "sspr:", err)
		return exitConfig
	case errors.As(err, &ge):
		fmt.Fprintln(os.Stderr, "sspr:", err)
		return exitRefused
	default:
		fmt.Fprintln(os.Stderr, "sspr:", err)
		return exitError
	}
}

// usageError is a mistake on the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }
