package reminder

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPolicyProblems(t *testing.T) {
	off := false
	tests := []struct {
		name string
		p    Policy
		want []string // keys
	}{
		{"defaults", Policy{}, nil},
		{"off", Policy{Enabled: &off}, nil},
		{"all set", Policy{DaysBefore: []int{30, 2}, Channels: []string{"sms"}, QuietHours: "none", TimeZone: "Europe/Berlin"}, nil},
		{"bad days", Policy{DaysBefore: []int{0, 7, 7, 400}}, []string{"daysBefore[0]", "daysBefore[2]", "daysBefore[3]"}},
		{"bad channel", Policy{Channels: []string{"email", "voice"}}, []string{"channels[1]"}},
		{"bad quiet hours", Policy{QuietHours: "9pm-8am"}, []string{"quietHours"}},
		{"empty quiet window", Policy{QuietHours: "08:00-08:00"}, []string{"quietHours"}},
		{"bad zone", Policy{TimeZone: "Mars/Olympus"}, []string{"timeZone"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var keys []string
			for _, p := range tc.p.WithDefaults().Problems() {
				k, _, _ := strings.Cut(p, ": ")
				keys = append(keys, k)
			}
			if !slices.Equal(keys, tc.want) {
				t.Errorf("problems %q, want keys %q", tc.p.WithDefaults().Problems(), tc.want)
			}
		})
	}
	if p := (Policy{}).WithDefaults(); !p.On() || !slices.Equal(p.DaysBefore, []int{14, 7, 3, 1}) || !slices.Equal(p.Channels, []string{"email"}) {
		t.Errorf("defaults %+v", p)
	}
	if (Policy{Enabled: &off}).On() {
		t.Error("enabled: false is on")
	}
}

func TestQuietHours(t *testing.T) {
	tests := []struct {
		window string
		at     string
		want   bool
	}{
		{"21:00-08:00", "20:59", false},
		{"21:00-08:00", "21:00", true},
		{"21:00-08:00", "00:30", true},
		{"21:00-08:00", "07:59", true},
		{"21:00-08:00", "08:00", false},
		{"12:00-13:30", "12:15", true},
		{"12:00-13:30", "13:30", false},
		{"12:00-13:30", "23:00", false},
		{"none", "03:00", false},
	}
	for _, tc := range tests {
		q, err := parseQuiet(tc.window)
		if err != nil {
			t.Fatalf("%s: %v", tc.window, err)
		}
		at, _ := time.Parse("15:04", tc.at)
		if got := q.holds(at); got != tc.want {
			t.Errorf("%s at %s: quiet %v, want %v", tc.window, tc.at, got, tc.want)
		}
	}
}
