package password

import (
	"errors"
	"testing"
)

func TestCheck(t *testing.T) {
	p := Default()
	tests := []struct {
		pw   string
		want string // problem key, "" = accepted
	}{
		{"short1!", "password.tooShort"},
		{"password", "password.weak"},
		{"Summer2024", "password.weak"},
		{"correct horse battery staple", ""},
		{"Tr0ub4dor&3-zebra-quilt", ""},
		{"ALICE-is-great-and-strong-99", "password.containsName"},
		{"anderson-was-here-and-strong-99", "password.containsName"},
		{"bad\x00password-but-long", "password.invalid"},
		{"\xff\xfeinvalid-utf8-password", "password.invalid"},
		{string(make([]byte, 300)), "password.invalid"},
	}
	for _, tt := range tests {
		err := p.Check(tt.pw, "alice.anderson@contoso.com", "Alice Anderson")
		var prob *Problem
		got := ""
		if errors.As(err, &prob) {
			got = prob.Key
		} else if err != nil {
			t.Fatalf("%q: %v", tt.pw, err)
		}
		if got != tt.want {
			t.Errorf("Check(%q) = %q, want %q", tt.pw, got, tt.want)
		}
	}
	long := make([]rune, 257)
	for i := range long {
		long[i] = 'a' + rune(i%26)
	}
	if err := p.Check(string(long)); err == nil || err.(*Problem).Key != "password.tooLong" {
		t.Errorf("257 characters: %v", err)
	}
}

func TestValidate(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Error(err)
	}
	for _, p := range []Policy{{MinLength: 6, MaxLength: 256, MinScore: 3}, {MinLength: 8, MaxLength: 300}, {MinLength: 8, MaxLength: 256, MinScore: 5}} {
		if p.Validate() == nil {
			t.Errorf("%+v accepted", p)
		}
	}
}
