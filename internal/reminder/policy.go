package reminder

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Policy is the reminders block of the configuration.
type Policy struct {
	// Enabled turns reminders on (nil: on).
	Enabled *bool `yaml:"enabled"`
	// DaysBefore are the thresholds, in days before the expiry, at which a reminder is sent
	// (default 14, 7, 3, 1).
	DaysBefore []int `yaml:"daysBefore"`
	// Channels are how: email (the user's authentication and alternate emails) and sms (the
	// authentication and mobile phones). Default: email.
	Channels []string `yaml:"channels"`
	// QuietHours "21:00-08:00" (the default) is when nothing is sent, in TimeZone; "none" for never.
	QuietHours string `yaml:"quietHours"`
	// TimeZone is the IANA zone QuietHours are read in (default UTC).
	TimeZone string `yaml:"timeZone"`
}

// Defaults.
var (
	DefaultDaysBefore = []int{14, 7, 3, 1}
	DefaultChannels   = []string{"email"}
)

const (
	DefaultQuietHours = "21:00-08:00"
	DefaultTimeZone   = "UTC"
)

// WithDefaults fills what p leaves empty.
func (p Policy) WithDefaults() Policy {
	if len(p.DaysBefore) == 0 {
		p.DaysBefore = slices.Clone(DefaultDaysBefore)
	}
	if len(p.Channels) == 0 {
		p.Channels = slices.Clone(DefaultChannels)
	}
	if p.QuietHours == "" {
		p.QuietHours = DefaultQuietHours
	}
	if p.TimeZone == "" {
		p.TimeZone = DefaultTimeZone
	}
	return p
}

// On reports whether reminders are enabled.
func (p Policy) On() bool { return p.Enabled == nil || *p.Enabled }

// Problems lists what is wrong with p (after WithDefaults), each "key: message", sorted.
func (p Policy) Problems() []string {
	var ps []string
	add := func(format string, args ...any) { ps = append(ps, fmt.Sprintf(format, args...)) }
	seen := map[int]bool{}
	for i, d := range p.DaysBefore {
		switch {
		case d < 1 || d > 365:
			add("daysBefore[%d]: %d: use 1 to 365 days", i, d)
		case seen[d]:
			add("daysBefore[%d]: %d comes twice", i, d)
		}
		seen[d] = true
	}
	for i, c := range p.Channels {
		if c != "email" && c != "sms" {
			add("channels[%d]: %q: use email or sms", i, c)
		}
	}
	if _, err := parseQuiet(p.QuietHours); err != nil {
		add("quietHours: %v", err)
	}
	if _, err := time.LoadLocation(p.TimeZone); err != nil {
		add("timeZone: %q is not a time zone (IANA name such as Europe/Berlin)", p.TimeZone)
	}
	slices.Sort(ps)
	return ps
}

// quiet is a daily window [from, to) in minutes after midnight; from > to wraps midnight.
type quiet struct {
	from, to int
	none     bool
}

func parseQuiet(s string) (quiet, error) {
	if s == "none" {
		return quiet{none: true}, nil
	}
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return quiet{}, fmt.Errorf("%q: use HH:MM-HH:MM (such as 21:00-08:00) or none", s)
	}
	from, err1 := time.Parse("15:04", strings.TrimSpace(a))
	to, err2 := time.Parse("15:04", strings.TrimSpace(b))
	if err1 != nil || err2 != nil {
		return quiet{}, fmt.Errorf("%q: use HH:MM-HH:MM (such as 21:00-08:00) or none", s)
	}
	q := quiet{from: from.Hour()*60 + from.Minute(), to: to.Hour()*60 + to.Minute()}
	if q.from == q.to {
		return quiet{}, fmt.Errorf("%q: an empty window; use none for no quiet hours", s)
	}
	return q, nil
}

// holds reports whether the wall-clock time t falls in the window.
func (q quiet) holds(t time.Time) bool {
	if q.none {
		return false
	}
	m := t.Hour()*60 + t.Minute()
	if q.from < q.to {
		return m >= q.from && m < q.to
	}
	return m >= q.from || m < q.to
}
