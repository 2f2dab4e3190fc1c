// Package secret holds the server secret and derives the independent keys sspr needs from it
// (code MACs, decoy hints, CSRF tokens, sealing outbox bodies) with HKDF-SHA256, so one file
// (server.secretFile) feeds them all and no key is used for two purposes.
package secret

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
)

// MinLength is the shortest secret accepted, in bytes.
const MinLength = 32

// Key is the server secret. It never prints.
type Key struct{ b []byte }

// String masks the key.
func (Key) String() string { return "******" }

// New wraps raw secret bytes (at least MinLength).
func New(b []byte) (Key, error) {
	if len(b) < MinLength {
		return Key{}, fmt.Errorf("the server secret has %d bytes; at least %d are needed (generate one with: head -c 48 /dev/urandom | base64 > FILE)", len(b), MinLength)
	}
	return Key{b: append([]byte(nil), b...)}, nil
}

// Load reads the secret from a file: its content, trimmed of surrounding white space.
func Load(path string) (Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Key{}, fmt.Errorf("server secret: %w", err)
	}
	return New([]byte(strings.TrimSpace(string(b))))
}

// Generate writes a new random secret to path (mode 0600) unless the file exists, and loads it.
// The demo uses it; production installs create the file themselves.
func Generate(path string) (Key, error) {
	raw := make([]byte, 48)
	rand.Read(raw)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case errors.Is(err, os.ErrExist):
	case err != nil:
		return Key{}, fmt.Errorf("server secret: %w", err)
	default:
		_, werr := f.WriteString(base64.StdEncoding.EncodeToString(raw) + "\n")
		if err := errors.Join(werr, f.Close()); err != nil {
			return Key{}, fmt.Errorf("server secret: %w", err)
		}
	}
	return Load(path)
}

// Derive returns a 32-byte key for one purpose ("code-mac", "decoy", "csrf", "outbox").
func (k Key) Derive(purpose string) []byte {
	if len(k.b) == 0 {
		panic("secret: Derive on an empty key")
	}
	out, err := hkdf.Key(sha256.New, k.b, nil, "sspr "+purpose, 32)
	if err != nil {
		panic(err) // only for lengths hkdf cannot produce
	}
	return out
}
