// Package email validates email addresses the way sspr accepts them for alternateEmails and
// authenticationEmail: a bare address (no display name), at most 254 characters, a dotted domain.
package email

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// MaxLength is the longest address accepted (RFC 5321 path limit).
const MaxLength = 254

// ErrInvalid is wrapped by every validation error.
var ErrInvalid = errors.New("invalid email address")

// Validate reports why addr cannot be used as an email address, or nil.
func Validate(addr string) error {
	switch {
	case addr == "":
		return fmt.Errorf("%w: empty", ErrInvalid)
	case !utf8.ValidString(addr):
		return fmt.Errorf("%w: not valid UTF-8", ErrInvalid)
	case len(addr) > MaxLength:
		return fmt.Errorf("%w: longer than %d characters", ErrInvalid, MaxLength)
	case strings.TrimSpace(addr) != addr:
		return fmt.Errorf("%w: leading or trailing space", ErrInvalid)
	}
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Name != "" || a.Address != addr {
		return fmt.Errorf("%w: not of the form name@example.com", ErrInvalid)
	}
	at := strings.LastIndexByte(addr, '@')
	domain := addr[at+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return fmt.Errorf("%w: domain %q is not a full domain name", ErrInvalid, domain)
	}
	return nil
}
