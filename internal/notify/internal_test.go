package notify

import (
	"strings"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	tests := []struct {
		n    int
		u    float64
		want time.Duration
	}{
		{1, 0.5, 5 * time.Second},
		{1, 0, 4 * time.Second},
		{1, 1, 6 * time.Second},
		{2, 0.5, 15 * time.Second},
		{3, 0.5, 45 * time.Second},
		{4, 0.5, 135 * time.Second},
		{6, 0.5, 1215 * time.Second},
		{7, 0.5, 30 * time.Minute}, // 3645 s capped
		{7, 0, 24 * time.Minute},   // jitter below the cap
		{7, 1, 30 * time.Minute},   // never above it
		{50, 0.5, 30 * time.Minute},
		{0, 0.5, 5 * time.Second},
	}
	for _, tt := range tests {
		if got := backoff(tt.n, tt.u); got != tt.want {
			t.Errorf("backoff(%d, %v) = %v, want %v", tt.n, tt.u, got, tt.want)
		}
	}
	for range 1000 {
		if d := DefaultBackoff(2); d < 12*time.Second || d > 18*time.Second {
			t.Fatalf("DefaultBackoff(2) = %v, out of 15 s ± 20 %%", d)
		}
	}
}

func TestScrub(t *testing.T) {
	m := Message{Channel: ChannelSMS, To: "+14255550100", Body: "Your sspr code is 482913. Ref A1B2C3."}
	tests := []struct{ in, want string }{
		{"", ""},
		{"HTTP 400: The 'To' number +14255550100 is not valid", "HTTP 400: The 'To' number +1 ••••••0100 is not valid"},
		{"rejected 14255550100", "rejected +1 ••••••0100"},
		{"rejected (425) 555-0100 / 4255550100", "rejected (425) 555-0100 / +1 ••••••0100"},
		{`body "Your sspr code is 482913. Ref A1B2C3." refused`, `body "[redacted]" refused`},
		{"code 482913 expired", "code [redacted] expired"},
		{"ref A1B2C3", "ref [redacted]"},
		{"Your sspr code", "Your sspr code"}, // words without digits stay
	}
	for _, tt := range tests {
		if got := scrub(tt.in, m); got != tt.want {
			t.Errorf("scrub(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := scrub(strings.Repeat("x", 5000), m); len(got) > 1010 {
		t.Errorf("scrub kept %d bytes", len(got))
	}
	e := Message{Channel: ChannelEmail, To: "alice@example.com", Body: "code 482913"}
	if got := scrub("550 5.1.1 <alice@example.com>: no such user", e); got != "550 5.1.1 <a•••@example.com>: no such user" {
		t.Errorf("scrub email = %q", got)
	}
}

func TestSealBindsDestination(t *testing.T) {
	s, err := NewSealer([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.seal([]byte("482913"), messageAD("sms", "+14255550100"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.open(sealed, messageAD("sms", "+14255550199")); err != ErrUnsealed {
		t.Errorf("open with another destination = %v, want ErrUnsealed", err)
	}
	if _, err := s.open(sealed, messageAD("voice", "+14255550100")); err != ErrUnsealed {
		t.Errorf("open with another channel = %v, want ErrUnsealed", err)
	}
	if pt, err := s.open(sealed, messageAD("sms", "+14255550100")); err != nil || string(pt) != "482913" {
		t.Errorf("open = %q, %v", pt, err)
	}
}
