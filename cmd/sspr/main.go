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
	"runtime/pprof"
	"runtime/trace"
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
	// SSPR_CPUPROFILE=file writes a CPU profile of the command (for benchmarks).
	if p := os.Getenv("SSPR_CPUPROFILE"); p != "" {
		if f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				defer pprof.StopCPUProfile()
			}
		}
	}
	// SSPR_TRACE=file writes an execution trace (go tool trace), for benchmarks.
	if p := os.Getenv("SSPR_TRACE"); p != "" {
		if f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600); err == nil {
			if trace.Start(f) == nil {
				defer trace.Stop()
			}
		}
	}
	err := newRootCmd().ExecuteContext(ctx)
	code := exitCode(err)
	pprof.StopCPUProfile()
	trace.Stop()
	os.Exit(code)
}

// exitCode maps an error to the exit status the README documents, and says what went wrong on
// stderr: 0 success, 1 error, 2 configuration or usage error, 3 the accidental-delete guard held.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ce *config.Error
	var ue usageError
	var fe configError
	var ge *syncer.GuardError
	switch {
	case errors.As(err, &ce):
		fmt.Fprintln(os.Stderr, err)
		return exitConfig
	case errors.As(err, &ue), errors.As(err, &fe):
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

// usageError is a mistake on the command line: an unknown command or flag, a missing or extra
// argument, a bad flag value.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// configError is a configuration the command cannot use although it parses: a configuration file
// that cannot be read, a store setting that names no store. msg, when set, replaces err's text.
type configError struct {
	msg string
	err error
}

func (e configError) Error() string {
	if e.msg != "" {
		return e.msg
	}
	return e.err.Error()
}

func (e configError) Unwrap() error { return e.err }
