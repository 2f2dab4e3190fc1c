package email

import (
	"errors"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		addr string
		ok   bool
	}{
		{"alice@contoso.com", true},
		{"a.b+tag@sub.example.org", true},
		{"jürgen@example.de", true},
		{"", false},
		{"alice", false},
		{"alice@localhost", false},
		{"Alice <alice@contoso.com>", false},
		{" alice@contoso.com", false},
		{"alice@@contoso.com", false},
		{"alice@contoso..com", false},
		{"\xff@contoso.com", false},
		{strings.Repeat("a", 250) + "@x.com", false},
	}
	for _, tt := range tests {
		err := Validate(tt.addr)
		if (err == nil) != tt.ok {
			t.Errorf("Validate(%q) = %v, want ok=%v", tt.addr, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("Validate(%q) error does not wrap ErrInvalid", tt.addr)
		}
	}
}
