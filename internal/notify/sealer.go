package notify

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/hkdf"
)

// MinSecretBytes is the shortest server secret NewSealer accepts.
const MinSecretBytes = 32

// sealInfo is the HKDF info string: a new version of the format takes a new one.
const sealInfo = "sspr outbox v1"

var (
	// ErrShortSecret is returned by NewSealer for a secret under MinSecretBytes bytes.
	ErrShortSecret = errors.New("server secret too short")
	// ErrUnsealed is returned by Open for data that was not sealed with this key (or was altered).
	ErrUnsealed = errors.New("cannot open sealed data: wrong key or altered")
)

// Sealer encrypts message bodies at rest with AES-256-GCM under a key derived from the server
// secret (HKDF-SHA-256, info "sspr outbox v1"). Safe for concurrent use.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer derives the outbox key from secret, which must hold at least MinSecretBytes bytes
// (ErrShortSecret otherwise). secret is not kept.
func NewSealer(secret []byte) (*Sealer, error) {
	if len(secret) < MinSecretBytes {
		return nil, fmt.Errorf("notify: %w: %d bytes, at least %d needed", ErrShortSecret, len(secret), MinSecretBytes)
	}
	key := make([]byte, 32)
	if _, err := io.ReadFull(hkdf.New(sha256.New, secret, nil, []byte(sealInfo)), key); err != nil {
		return nil, fmt.Errorf("notify: derive key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext: a random 12-byte nonce followed by the ciphertext and its tag.
func (s *Sealer) Seal(plaintext []byte) ([]byte, error) { return s.seal(plaintext, nil) }

// Open decrypts what Seal returned; ErrUnsealed when it was sealed under another key or altered.
func (s *Sealer) Open(sealed []byte) ([]byte, error) { return s.open(sealed, nil) }

// seal binds the ciphertext to ad (authenticated, not encrypted): the outbox passes the
// message's channel and destination so that a body cannot be moved to another row, nor a row
// redirected to another destination, by someone who can write the database.
func (s *Sealer) seal(plaintext, ad []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	out := make([]byte, n, n+len(plaintext)+s.aead.Overhead())
	if _, err := rand.Read(out); err != nil {
		return nil, fmt.Errorf("notify: nonce: %w", err)
	}
	return s.aead.Seal(out, out, plaintext, ad), nil
}

func (s *Sealer) open(sealed, ad []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, ErrUnsealed
	}
	pt, err := s.aead.Open(nil, sealed[:n], sealed[n:], ad)
	if err != nil {
		return nil, ErrUnsealed
	}
	return pt, nil
}

// messageAD is the additional data a message body is sealed with.
func messageAD(channel, to string) []byte {
	return []byte(sealInfo + "\x00" + channel + "\x00" + to)
}
