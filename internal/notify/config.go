package notify

import (
	"fmt"
	"strings"
)

// ConfigProblem is one invalid value of a channel's configuration, by its YAML key relative to
// the channel's block ("host", "tls").
type ConfigProblem struct {
	Key     string
	Message string
}

func (p ConfigProblem) String() string { return p.Key + ": " + p.Message }

// ConfigError lists every problem of a channel's configuration at once; the channels' Validate
// methods return it (errors.As), so that the caller can prefix each key with the block's path.
type ConfigError struct {
	Problems []ConfigProblem
}

func (e *ConfigError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "invalid configuration: " + strings.Join(parts, "; ")
}

// Add records a problem.
func (e *ConfigError) Add(key, format string, args ...any) {
	e.Problems = append(e.Problems, ConfigProblem{Key: key, Message: fmt.Sprintf(format, args...)})
}

// Err returns e when it holds a problem, else nil.
func (e *ConfigError) Err() error {
	if e == nil || len(e.Problems) == 0 {
		return nil
	}
	return e
}
