package flow

import (
	"errors"
	"time"
)

// Kind says what a user-facing error is about, so that the web layer decides what to do by
// switching on it, never by reading the message key.
type Kind int

// Kinds of user errors.
const (
	// KindInput: the form was incomplete or invalid; show the same page again with the message.
	KindInput Kind = iota + 1
	// KindSession: the session is missing, expired or ended; start again (403).
	KindSession
	// KindConflict: two requests changed the session at once; reload the page.
	KindConflict
	// KindThrottled: too many attempts; Until (if set) says until when (429).
	KindThrottled
	// KindProof: a code or answers were wrong, exhausted or missing; show the proof page again.
	KindProof
	// KindPassword: the new password breaks a rule; show the password form again.
	KindPassword
	// KindDirectory: the directory refused or could not be reached; the reason is in the key.
	KindDirectory
	// KindSignIn: a sign-in with a directory password failed; the reason is in the key.
	KindSignIn
	// KindForbidden: the request is not allowed (CSRF, an option not offered) (403).
	KindForbidden
	// KindNotice: nothing failed and nothing needed doing (an account that was not locked):
	// the flow ended, and the done page says what the key says.
	KindNotice
)

// Error is what the user is told: a kind, a message catalog key and its arguments. Every error a
// flow returns for a user's mistake is an *Error; others are internal failures.
type Error struct {
	Kind Kind
	Key  string
	Args []any
	// Reason is the directory's reason for KindSignIn and KindDirectory errors (wrongPassword,
	// locked, mustChange, disabled, expired, tooShort, complexity, history, ...), "" otherwise.
	Reason string
}

func (e *Error) Error() string { return "flow: " + e.Key }

// Errorf returns a user error of kind k with a catalog key and its arguments.
func Errorf(k Kind, key string, args ...any) *Error { return &Error{Kind: k, Key: key, Args: args} }

// AsError returns err's *Error, or nil when err is not a user error.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// IsKind reports whether err is a user error of kind k.
func IsKind(err error, k Kind) bool {
	e := AsError(err)
	return e != nil && e.Kind == k
}

// Locked is the error for a key locked until a time.
func Locked(until time.Time) *Error { return Errorf(KindThrottled, "throttle.locked", until) }

// TooMany is the error for a limit reached without a lock: wait for the window.
func TooMany(window time.Duration) *Error { return Errorf(KindThrottled, "throttle.tooMany", window) }
