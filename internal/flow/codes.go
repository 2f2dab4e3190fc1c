package flow

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sspr/sspr/internal/store"
)

// Codes is the one lifecycle of one-time codes: Issue stores only an HMAC of the code bound to
// the session, the purpose and the destination; Check counts the attempt first, then compares in
// constant time, then consumes the code once.
type Codes struct {
	Store store.Codes
	Key   []byte // keys the HMAC (derived from the server secret)
	// Length in digits, attempts allowed per code, lifetime.
	Length      int
	MaxAttempts int
	Lifetime    time.Duration
}

// Issue creates a code for (session, purpose) bound to dest (a newer code replaces an older
// one) and returns it; masked is what the store records of the destination.
func (c Codes) Issue(ctx context.Context, sess *store.Session, purpose, dest, masked string, now time.Time) (string, error) {
	code, rec := c.New(sess, purpose, dest, masked, now)
	if err := c.Store.CreateCode(ctx, rec); err != nil {
		return "", fmt.Errorf("flow: code: %w", err)
	}
	return code, nil
}

// New makes a code as Issue does, without storing it: the caller stores rec with its step
// (store.StepWrite.IssueCode), and the code counts only once rec is stored.
func (c Codes) New(sess *store.Session, purpose, dest, masked string, now time.Time) (code string, rec *store.Code) {
	code = NewCode(c.Length)
	return code, &store.Code{SessionID: sess.ID, UserID: sess.UserID, Purpose: purpose, Destination: masked,
		MAC: c.mac(sess.ID, purpose, dest, code), MaxAttempts: c.MaxAttempts, CreatedAt: now, ExpiresAt: now.Add(c.Lifetime)}
}

// Check verifies code for (session, purpose, dest). The attempt is counted before the
// comparison. It returns nil when the code matched and was consumed; a *Error of KindProof
// ("verify.noCode", "verify.exhausted", "verify.wrong" with the tries left) otherwise, and
// wrong reports whether the code was typed wrong (a failed proof, for the caller to count).
func (c Codes) Check(ctx context.Context, sess *store.Session, purpose, dest, code string, now time.Time) (wrong bool, err error) {
	rec, err := c.countAttempt(ctx, sess.ID, purpose, now)
	switch {
	case errors.Is(err, store.ErrExhausted):
		return false, Errorf(KindProof, "verify.exhausted")
	case errors.Is(err, store.ErrNotFound):
		return false, Errorf(KindProof, "verify.noCode")
	case err != nil:
		return false, fmt.Errorf("flow: code: %w", err)
	}
	code = strings.TrimSpace(strings.ReplaceAll(code, " ", ""))
	if !hmac.Equal(rec.MAC, c.mac(sess.ID, purpose, dest, code)) {
		if left := rec.MaxAttempts - rec.Attempts; left > 0 {
			return true, Errorf(KindProof, "verify.wrong", left)
		}
		return true, Errorf(KindProof, "verify.exhausted")
	}
	if err := c.Store.ConsumeCode(ctx, rec.ID, now); err != nil {
		if errors.Is(err, store.ErrExhausted) {
			return false, Errorf(KindProof, "verify.exhausted")
		}
		return false, fmt.Errorf("flow: code: %w", err)
	}
	return false, nil
}

// countAttempt counts an attempt at the session's live code for purpose: ErrNotFound when there
// is none, ErrExhausted when it has no tries left. A store that is also a store.CodeAttempts
// does it in one statement.
func (c Codes) countAttempt(ctx context.Context, sessionID, purpose string, now time.Time) (store.Code, error) {
	if ca, ok := c.Store.(store.CodeAttempts); ok {
		return ca.CountActiveAttempt(ctx, sessionID, purpose, now)
	}
	rec, err := c.Store.ActiveCode(ctx, sessionID, purpose, now)
	if err != nil {
		return store.Code{}, err
	}
	rec, err = c.Store.CountAttempt(ctx, rec.ID, now)
	if errors.Is(err, store.ErrExhausted) {
		return store.Code{}, fmt.Errorf("count attempt: %w", store.ErrExhausted) // never ErrNotFound: the code was live
	}
	return rec, err
}

func (c Codes) mac(sessionID, purpose, dest, code string) []byte {
	m := hmac.New(sha256.New, c.Key)
	m.Write([]byte(sessionID + "\x00" + purpose + "\x00" + strings.ToLower(dest) + "\x00" + code))
	return m.Sum(nil)
}

// NewCode returns n uniformly random decimal digits.
func NewCode(n int) string {
	b := make([]byte, n)
	var buf [1]byte
	for i := range b {
		for {
			rand.Read(buf[:])
			if buf[0] < 250 { // 250 = 25*10: no modulo bias
				b[i] = '0' + buf[0]%10
				break
			}
		}
	}
	return string(b)
}
