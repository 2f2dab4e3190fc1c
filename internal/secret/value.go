package secret

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
)

// Value is a secret string read from a file (a bind password, an SMTP password, an API token):
// fmt (%v, %s, %q, %#v), JSON, YAML and log/slog all show it masked. It stays a Value until its
// last use, where Reveal hands the text to the one call that sends it.
type Value string

const masked = "******"

// String masks the secret ("" when it is empty, so that a missing secret is visible).
func (v Value) String() string {
	if v == "" {
		return ""
	}
	return masked
}

// GoString masks the secret in %#v.
func (v Value) GoString() string { return v.String() }

// Format masks the secret for every verb (%x and %d included).
func (v Value) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", v.String())
		return
	}
	_, _ = f.Write([]byte(v.String()))
}

// MarshalJSON masks the secret.
func (v Value) MarshalJSON() ([]byte, error) { return []byte(`"` + v.String() + `"`), nil }

// MarshalText masks the secret (encoders that use encoding.TextMarshaler).
func (v Value) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// MarshalYAML masks the secret.
func (v Value) MarshalYAML() (any, error) { return v.String(), nil }

// LogValue masks the secret in log/slog.
func (v Value) LogValue() slog.Value { return slog.StringValue(v.String()) }

// Reveal returns the secret itself, for the one call that must send it (an LDAP bind, SMTP
// AUTH, an HTTP Authorization header).
func (v Value) Reveal() string { return string(v) }

// ReadFile reads a secret from a file, without its trailing newline. The error names the file
// but never shows its content.
func ReadFile(path string) (Value, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("cannot read secret file: %w", err)
	}
	s := strings.TrimRight(string(b), "\r\n")
	if s == "" {
		return "", fmt.Errorf("secret file %s is empty", path)
	}
	return Value(s), nil
}
