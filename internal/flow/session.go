package flow

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sspr/sspr/internal/store"
)

// NewToken returns a session secret for the cookie and its ID (a hash) for the store.
func NewToken() (token, id string) {
	b := make([]byte, 32)
	rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, TokenID(token)
}

// TokenID is the store's ID of a session token: its SHA-256, so the store alone cannot be
// replayed as cookies.
func TokenID(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// Sessions loads and saves a flow's session state (a JSON value) in the store.
type Sessions struct {
	Store store.Sessions
	// Expired is the error for a missing, expired or foreign session (each flow has its own
	// message).
	Expired *Error
}

// Create stores a new session of kind for userID ("" for a decoy) with state, and returns the
// token for the cookie.
func (s Sessions) Create(ctx context.Context, kind, userID string, state any, now, expires time.Time) (string, *store.Session, error) {
	token, sess, err := NewSession(kind, userID, state, now, expires)
	if err != nil {
		return "", nil, err
	}
	if err := s.Store.CreateSession(ctx, sess); err != nil {
		return "", nil, fmt.Errorf("flow: session: %w", err)
	}
	return token, sess, nil
}

// NewSession is Create without the store: the session for the caller to store with the rest of
// its step (store.StepWrite.CreateSession), and the token for the cookie.
func NewSession(kind, userID string, state any, now, expires time.Time) (string, *store.Session, error) {
	raw, err := json.Marshal(state)
	if err != nil {
		return "", nil, fmt.Errorf("flow: session state: %w", err)
	}
	token, id := NewToken()
	return token, &store.Session{ID: id, Kind: kind, UserID: userID, State: raw, CreatedAt: now, ExpiresAt: expires}, nil
}

// Load finds the session of token, which must be of one of kinds, and decodes its state into
// state. A missing, expired or foreign session is s.Expired.
func (s Sessions) Load(ctx context.Context, token string, now time.Time, state any, kinds ...string) (*store.Session, error) {
	if token == "" {
		return nil, s.Expired
	}
	sess, err := s.Store.Session(ctx, TokenID(token), now)
	return s.decode(sess, err, state, kinds)
}

// LoadUser is Load with the session's user read with it by reads (one round trip on
// PostgreSQL): a zero User when the session has none or the user is gone.
func (s Sessions) LoadUser(ctx context.Context, reads store.StepReads, token string, now time.Time, state any, kinds ...string) (*store.Session, store.User, error) {
	if token == "" {
		return nil, store.User{}, s.Expired
	}
	sess, u, err := reads.SessionUser(ctx, TokenID(token), now)
	out, err := s.decode(sess, err, state, kinds)
	if err != nil {
		return nil, store.User{}, err
	}
	return out, u, nil
}

// decode is Load's answer for the session read, err: the session, or s.Expired.
func (s Sessions) decode(sess store.Session, err error, state any, kinds []string) (*store.Session, error) {
	if errors.Is(err, store.ErrNotFound) {
		return nil, s.Expired
	}
	if err != nil {
		return nil, fmt.Errorf("flow: session: %w", err)
	}
	if !slices.Contains(kinds, sess.Kind) {
		return nil, s.Expired
	}
	if err := json.Unmarshal(sess.State, state); err != nil {
		return nil, fmt.Errorf("flow: session state: %w", err)
	}
	return &sess, nil
}

// Save stores state in sess (and its ExpiresAt); a concurrent change is a KindConflict error.
func (s Sessions) Save(ctx context.Context, sess *store.Session, state any) error {
	return s.save(sess, state, func() error { return s.Store.UpdateSession(ctx, sess) })
}

// SaveStep is Save with the step's audit events written in the same transaction by steps (one
// round trip on PostgreSQL): a session that is not saved has none of them written.
func (s Sessions) SaveStep(ctx context.Context, steps store.Steps, sess *store.Session, state any, events ...*store.AuditEvent) error {
	return s.SaveWith(ctx, steps, sess, state, store.StepWrite{Audit: events})
}

// SaveWith is SaveStep with the rest of w (a code, messages: what may go with a session's
// update) written in the same transaction, only when the session is saved.
func (s Sessions) SaveWith(ctx context.Context, steps store.Steps, sess *store.Session, state any, w store.StepWrite) error {
	w.UpdateSession = sess
	return s.save(sess, state, func() error { return steps.WriteStep(ctx, w) })
}

func (s Sessions) save(sess *store.Session, state any, write func() error) error {
	raw, err := json.Marshal(state)
	if err != nil {
		return fmt.Errorf("flow: session state: %w", err)
	}
	sess.State = raw
	if err := write(); err != nil {
		if errors.Is(err, store.ErrVersionMismatch) {
			return Errorf(KindConflict, "session.conflict")
		}
		if errors.Is(err, store.ErrNotFound) {
			return s.Expired // ended by another request
		}
		return fmt.Errorf("flow: session: %w", err)
	}
	return nil
}
