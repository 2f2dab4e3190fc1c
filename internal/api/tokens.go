package api

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sspr/sspr/internal/store"
)

// Scopes a token may hold.
const (
	ScopeUsersRead  = "users:read"  // list and read users
	ScopeUsersWrite = "users:write" // set fields, create and delete cloud users
	ScopeSync       = "sync"        // list sync runs, start one
	ScopeReports    = "reports"     // the readiness and expiry reports
	ScopeAuditRead  = "audit:read"  // read the audit log
)

// Scopes lists every scope.
var Scopes = []string{ScopeUsersRead, ScopeUsersWrite, ScopeSync, ScopeReports, ScopeAuditRead}

// TokenPrefix starts every token, so that secret scanners and people recognize one.
const TokenPrefix = "sspr_"

// ErrBadToken is wrapped by NewToken's errors for a bad name or scope.
var ErrBadToken = errors.New("bad token request")

// NewToken makes a token: the secret to show once, and the record to store (only the secret's
// SHA-256). Scopes may be given in any case and order, separated by commas or not; they are
// stored in the order of Scopes.
func NewToken(name string, scopes []string, now time.Time) (string, store.Token, error) {
	if err := checkTokenName(name); err != nil {
		return "", store.Token{}, err
	}
	sc, err := ParseScopes(scopes)
	if err != nil {
		return "", store.Token{}, err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", store.Token{}, fmt.Errorf("token: %w", err)
	}
	secret := TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, store.Token{Name: name, Scopes: sc, Hash: HashToken(secret), CreatedAt: now.UTC()}, nil
}

// HashToken is what the store keeps of a token: its SHA-256. A 256-bit random secret needs no
// salt or slow hash.
func HashToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// ParseScopes checks scope names ("users:read,sync" or separate values) and returns them in the
// order of Scopes, without repeats. At least one is required.
func ParseScopes(list []string) ([]string, error) {
	want := map[string]bool{}
	for _, item := range list {
		for s := range strings.SplitSeq(item, ",") {
			s = strings.ToLower(strings.TrimSpace(s))
			if s == "" {
				continue
			}
			if !slices.Contains(Scopes, s) {
				return nil, fmt.Errorf("%w: scope %q: use %s", ErrBadToken, s, strings.Join(Scopes, ", "))
			}
			want[s] = true
		}
	}
	var out []string
	for _, s := range Scopes {
		if want[s] {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no scope: give one or more of %s", ErrBadToken, strings.Join(Scopes, ", "))
	}
	return out, nil
}

func checkTokenName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("%w: name %q: 1 to 64 characters", ErrBadToken, name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.@", r)) {
			return fmt.Errorf("%w: name %q: use letters, digits and - _ . @", ErrBadToken, name)
		}
	}
	return nil
}

// hasScope reports whether t grants scope.
func hasScope(t store.Token, scope string) bool { return slices.Contains(t.Scopes, scope) }
