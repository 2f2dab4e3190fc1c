package phone

import (
	"strings"
	"testing"
)

func TestMask(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+1 4255551234", "+1 ••••••1234"},
		{"+44 2079460958", "+44 ••••••0958"},
		{"+49 30123456", "+49 ••••3456"},
		{"+800 12345678", "+800 ••••5678"},
		{"+1 12345678", "+1 ••••5678"},
		{"+1 1234567", "+1 ••••567"},
		{"+1 123456", "+1 •••456"}, // never more than half
		{"+1 12345", "+1 •••45"},
		{"+1 1234", "+1 ••34"},
		{"+1 123", "+1 ••3"},
		{"+1 12", "+1 •2"},
		{"+1 1", "+1 •"},
		// Anything that is not canonical.
		{"", "•••"},
		{"+14255551234", "•••"},
		{"4255551234", "•••"},
		{"+1  4255551234", "•••"},
		{"+1 425 555 1234", "•••"},
		{"+ 4255551234", "•••"},
		{"+1234 4255551234", "•••"},
		{"+1 ", "•••"},
		{"+1 4255551234 ", "•••"},
		{"+1 ４２５５５５１２３４", "•••"},
		{"+a 1234", "•••"},
	}
	for _, tt := range tests {
		if got := Mask(tt.in); got != tt.want {
			t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskNormalized(t *testing.T) {
	// What the reset page shows for values as the directory holds them.
	n := mustNormalizer(t, "US")
	for in, want := range map[string]string{
		"(425) 555-1234 x12":  "+1 ••••••1234",
		"+44 (0)20 7946 0958": "+44 ••••••0958",
	} {
		num, err := n.Normalize(in)
		if err != nil {
			t.Fatalf("Normalize(%q): %v", in, err)
		}
		if got := Mask(num.Canonical); got != want {
			t.Errorf("Mask(Normalize(%q)) = %q, want %q", in, got, want)
		}
		if strings.Contains(Mask(num.Canonical), "555") {
			t.Errorf("Mask shows hidden digits")
		}
	}
}
