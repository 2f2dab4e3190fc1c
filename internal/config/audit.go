package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultAuditRetention is how long audit events are kept when audit.retention is not set.
const DefaultAuditRetention = 365 * 24 * time.Hour

// Audit is the audit log's settings.
type Audit struct {
	// Retention is how long events are kept: whole days ("365d") or a Go duration ("8760h"), at
	// least a day; sspr serve prunes older events hourly (the chain's anchor moves with them, so
	// that `sspr audit verify` still passes). Empty: DefaultAuditRetention.
	Retention string `yaml:"retention"`
}

// RetentionPeriod is Retention as a duration (DefaultAuditRetention when empty or invalid: Load
// reports an invalid value).
func (a Audit) RetentionPeriod() time.Duration {
	d, err := parseRetention(a.Retention)
	if err != nil {
		return DefaultAuditRetention
	}
	return d
}

func parseRetention(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return DefaultAuditRetention, nil
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n > 100*366 {
			return 0, fmt.Errorf("%q: use whole days (365d) or a duration (8760h)", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("%q: use whole days (365d) or a duration (8760h)", s)
		}
	}
	if d < 24*time.Hour {
		return 0, fmt.Errorf("%q: at least a day (1d); the default is %dd", s, int(DefaultAuditRetention.Hours()/24))
	}
	return d, nil
}

// problems checks the audit block.
func (a Audit) problems() []Problem {
	if _, err := parseRetention(a.Retention); err != nil {
		return []Problem{{Key: "audit.retention", Message: err.Error()}}
	}
	return nil
}
