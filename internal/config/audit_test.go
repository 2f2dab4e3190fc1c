package config

import (
	"strings"
	"testing"
	"time"
)

func TestAuditRetention(t *testing.T) {
	base := "directory:\n  type: openldap\n  file: /tmp/export.ldif\n"
	for _, c := range []struct {
		yaml string
		want time.Duration
		err  string // in the error; "": none
	}{
		{"", 365 * 24 * time.Hour, ""},
		{"audit:\n  retention: 30d\n", 30 * 24 * time.Hour, ""},
		{"audit:\n  retention: 8760h\n", 8760 * time.Hour, ""},
		{"audit:\n  retention: 12h\n", 0, `audit.retention: "12h": at least a day`},
		{"audit:\n  retention: 0d\n", 0, `audit.retention: "0d": at least a day`},
		{"audit:\n  retention: -5d\n", 0, `audit.retention: "-5d": at least a day`},
		{"audit:\n  retention: a year\n", 0, `audit.retention: "a year": use whole days (365d) or a duration (8760h)`},
		{"audit:\n  retention: 7w\n", 0, `audit.retention: "7w"`},
		{"audit:\n  retension: 30d\n", 0, `audit.retension (line 5): unknown key`},
	} {
		cfg, err := Parse([]byte(base+c.yaml), nil)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%q: %v", c.yaml, err)
		case c.err == "" && cfg.Audit.RetentionPeriod() != c.want:
			t.Errorf("%q: retention %v, want %v", c.yaml, cfg.Audit.RetentionPeriod(), c.want)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%q: error %v, want %q", c.yaml, err, c.err)
		}
	}
}
