package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ThrottleGates are the throttle checks of a flow step in one statement (or one round trip)
// each, where Throttles needs several.
type ThrottleGates interface {
	// HitUnlessLocked is Hit, unless key or one of alsoLocked is locked at `at`: then it records
	// nothing and returns 0 and the latest of those locks' ends. Concurrent calls on one key see
	// different counts, as with Hit.
	HitUnlessLocked(ctx context.Context, key string, at, since time.Time, alsoLocked ...string) (n int, lockedUntil time.Time, err error)
	// LockedUntilAny returns the latest end of the locks of keys at now, or the zero time when
	// none of them is locked.
	LockedUntilAny(ctx context.Context, now time.Time, keys ...string) (time.Time, error)
}

// StepWrite is what a step of a web flow writes at its end, done by Steps.WriteStep in one
// transaction (on PostgreSQL in one round trip). Zero fields write nothing.
type StepWrite struct {
	// CreateSession is stored as Sessions.CreateSession stores it (its Version and CreatedAt
	// set); ErrConflict or ErrNotFound as there, and then nothing of the step is written.
	CreateSession *Session
	// UpdateSession is written as Sessions.UpdateSession writes it (its Version set); when it
	// fails (ErrVersionMismatch, ErrNotFound) nothing of the step is written. It goes with
	// Audit only.
	UpdateSession *Session
	// DeleteSession removes the session with this ID and its codes; one already gone is no
	// error.
	DeleteSession string
	// ClearThrottles removes the events and locks of these keys.
	ClearThrottles []string
	// IssueCode, with UpdateSession of the code's session, is stored as Codes.CreateCode stores
	// it (earlier live codes of its purpose retired; its ID and CreatedAt set), only when the
	// session is saved: a step that loses its session's race issues no code.
	IssueCode *Code
	// Enqueue, with UpdateSession, queues each message as Outbox.Enqueue does (its ID set),
	// only when the session is saved: a code goes out only when it was stored.
	Enqueue []*Message
	// Audit events are appended as Audit.AppendAudit appends them (their ID and Time set).
	Audit []*AuditEvent
}

// CodeAttempts counts an attempt at a session's code in one statement (one round trip on
// PostgreSQL), where Codes needs ActiveCode, then CountAttempt.
type CodeAttempts interface {
	// CountActiveAttempt adds one to the attempts of the session's live code for purpose (the
	// code ActiveCode returns) and returns it as updated: ErrNotFound when there is no live code
	// unexpired at now, ErrExhausted when it has no tries left.
	CountActiveAttempt(ctx context.Context, sessionID, purpose string, now time.Time) (Code, error)
}

// StepReads reads what a flow step starts from together.
type StepReads interface {
	// SessionUser returns the session (as Sessions.Session: ErrNotFound when absent or expired
	// at now) and, read with it (one round trip on PostgreSQL), the user it belongs to: a zero
	// User when the session has none or the user is gone.
	SessionUser(ctx context.Context, id string, now time.Time) (Session, User, error)
	// ReadStart is ThrottleGates.HitUnlessLocked(key, at, since) with, read with it (one round
	// trip on PostgreSQL), the user whose userPrincipalName is upn and, when audit is not nil,
	// the events ListAudit(*audit) would list. A flow's first step counts the start, looks the
	// name up and reads its recent contact changes together, alike for every name.
	ReadStart(ctx context.Context, upn, key string, at, since time.Time, audit *AuditFilter) (StartFacts, error)
}

// StartFacts is what StepReads.ReadStart reads.
type StartFacts struct {
	// Hits are the key's events in the window, this one included; 0 when the key is locked.
	Hits int
	// LockedUntil is the end of the key's lock when it is locked (nothing was counted), else zero.
	LockedUntil time.Time
	// User has the name; a zero User (ID "") when nobody has it.
	User User
	// Audit are the events listed, newest first (nil when none were asked for).
	Audit []AuditEvent
}

// Steps writes a flow step's writes together.
type Steps interface {
	// WriteStep does every write of w, all or nothing.
	WriteStep(ctx context.Context, w StepWrite) error
}

// Check reports what makes w unwritable before anything is written: a session to create
// without an ID, a kind or an expiry; a session to update without an expiry or with other
// writes than audit events; an audit event without a type.
func (w StepWrite) Check() error {
	if ses := w.CreateSession; ses != nil {
		if err := ses.CheckNew(); err != nil {
			return fmt.Errorf("create session: %w", err)
		}
	}
	if ses := w.UpdateSession; ses != nil {
		switch {
		case w.CreateSession != nil || w.DeleteSession != "" || len(w.ClearThrottles) > 0:
			return errors.New("update session: only a code, messages and audit events go with it")
		case ses.ExpiresAt.IsZero():
			return errors.New("update session: no expiry")
		}
	}
	if c := w.IssueCode; c != nil {
		if w.UpdateSession == nil || w.UpdateSession.ID != c.SessionID {
			return errors.New("issue code: only with the update of its session")
		}
		if err := c.CheckNew(); err != nil {
			return fmt.Errorf("issue code: %w", err)
		}
	}
	if len(w.Enqueue) > 0 && w.UpdateSession == nil {
		return errors.New("enqueue: only with a session update")
	}
	for _, m := range w.Enqueue {
		if err := m.CheckNew(); err != nil {
			return fmt.Errorf("enqueue: %w", err)
		}
	}
	for _, e := range w.Audit {
		if e.Type == "" {
			return errors.New("audit event without type")
		}
	}
	return nil
}

// CheckNew reports what makes s a session that cannot be created: no ID, kind or expiry.
func (s *Session) CheckNew() error {
	switch {
	case s.ID == "":
		return errors.New("empty id")
	case s.Kind == "":
		return errors.New("empty kind")
	case s.ExpiresAt.IsZero():
		return errors.New("no expiry")
	}
	return nil
}

// CheckNew reports what makes c a code that cannot be stored: no session, purpose, MAC or
// expiry, or no attempt allowed.
func (c *Code) CheckNew() error {
	switch {
	case c.SessionID == "":
		return errors.New("empty session id")
	case c.Purpose == "":
		return errors.New("empty purpose")
	case len(c.MAC) == 0:
		return fmt.Errorf("code %s: empty MAC", c.Purpose)
	case c.MaxAttempts < 1:
		return fmt.Errorf("code %s: MaxAttempts %d, want at least 1", c.Purpose, c.MaxAttempts)
	case c.ExpiresAt.IsZero():
		return fmt.Errorf("code %s: no expiry", c.Purpose)
	}
	return nil
}

// CheckNew reports what makes m a message that cannot be queued: no channel or recipient.
func (m *Message) CheckNew() error {
	switch {
	case m.Channel == "":
		return errors.New("empty channel")
	case m.To == "":
		return fmt.Errorf("%s: empty recipient", m.Channel)
	}
	return nil
}
