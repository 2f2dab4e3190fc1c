package reset

import "github.com/sspr/sspr/internal/flow"

// The method vocabulary is the flow kernel's; these names keep the reset package's callers short.
const (
	MethodEmail     = flow.MethodEmail
	MethodSMS       = flow.MethodSMS
	MethodVoice     = flow.MethodVoice
	MethodQuestions = flow.MethodQuestions
)

// Policy is the flow kernel's policy (configuration key `reset`).
type Policy = flow.Policy

// DefaultPolicy is the flow kernel's DefaultPolicy.
func DefaultPolicy() Policy { return flow.DefaultPolicy() }
