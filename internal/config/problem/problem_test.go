package problem_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/sspr/sspr/internal/config/problem"
)

var errPlain = errors.New("plain LDAP refused")

func TestList(t *testing.T) {
	var block problem.List
	block.Add("host", "required")
	block.AddKind(errPlain, "tls", "%q is not allowed", "none")

	var all problem.List
	all.Under("notify.email.smtp", fmt.Errorf("smtp: %w", block.Err()))
	all.Under("notify.file", errors.New("not a list"))
	all.Under("notify.sms", nil)
	all.File = "sspr.yaml"

	tests := []struct{ name, got, want string }{
		{"keys prefixed", all.Problems[0].String(), "notify.email.smtp.host: required"},
		{"plain error at the prefix", all.Problems[2].String(), "notify.file: not a list"},
		{"one problem inline", (&problem.List{Problems: block.Problems[:1]}).Error(), "config: host: required"},
		{"every problem, one a line", all.Error(), "config sspr.yaml: 3 problems:\n  - notify.email.smtp.host: required\n  - notify.email.smtp.tls: \"none\" is not allowed\n  - notify.file: not a list"},
		{"line", problem.Problem{Key: "stor", Line: 1, Message: "unknown key"}.String(), "stor (line 1): unknown key"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	if !errors.Is(all.Err(), errPlain) {
		t.Error("the kind of a problem is lost under a prefix")
	}
	if (&problem.List{}).Err() != nil || (*problem.List)(nil).Err() != nil {
		t.Error("an empty list is an error")
	}
}
