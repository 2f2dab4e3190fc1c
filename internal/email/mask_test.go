package email

import "testing"

func TestMask(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alice@contoso.com", "a•••@contoso.com"},
		{"Al@contoso.com", "A•••@contoso.com"},
		{"a@contoso.com", "•••@contoso.com"},
		{"élise@example.fr", "é•••@example.fr"},
		{"é@example.fr", "•••@example.fr"},
		{"\"a@b\"@example.com", "\"•••@example.com"}, // quoted local part: the last @ splits
		{"bob.smith+tag@sub.contoso.co.uk", "b•••@sub.contoso.co.uk"},
		// Malformed.
		{"", "•••"},
		{"alice", "•••"},
		{"@contoso.com", "•••"},
		{"alice@", "•••"},
		{"@", "•••"},
		{"ali ce@contoso.com", "•••"},
		{" alice@contoso.com", "•••"},
		{"alice@contoso.com\n", "•••"},
		{"alice@con\x00toso.com", "•••"},
		{"\u200balice@contoso.com", "•••"},
		{"al\xffice@contoso.com", "•••"},
	}
	for _, tt := range tests {
		if got := Mask(tt.in); got != tt.want {
			t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
