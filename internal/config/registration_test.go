package config

import (
	"strings"
	"testing"
	"time"
)

func TestQuestionsAndRegistration(t *testing.T) {
	base := "directory:\n  type: openldap\n  file: /tmp/export.ldif\n"
	c, err := Parse([]byte(base), nil)
	if err != nil {
		t.Fatal(err)
	}
	q := c.Reset.Questions
	if q.Register != 3 || q.AtReset != 3 || !q.Peppered() || q.MaxConcurrentHashes != 8 || c.Reset.Throttle.Questions.Max != 5 {
		t.Errorf("question defaults %+v %+v", q, c.Reset.Throttle.Questions)
	}
	if r := c.Registration; r.SessionLifetime != 15*time.Minute || r.IdleTimeout != 5*time.Minute || *r.ReconfirmDays != 180 {
		t.Errorf("registration defaults %+v", r)
	}
	c, err = Parse([]byte(base+`reset:
  methods: [email, sms, questions]
  questions:
    register: 5
    atReset: 4
    pepper: false
    maxConcurrentHashes: 4
    custom:
      badge: "What colour was your first employee badge?"
registration:
  reconfirmDays: 0
  idleTimeout: 3m
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if q := c.Reset.Questions; q.Register != 5 || q.AtReset != 4 || q.Peppered() || q.MaxConcurrentHashes != 4 || len(q.Custom) != 1 {
		t.Errorf("questions %+v", q)
	}
	if r := c.Registration; *r.ReconfirmDays != 0 || r.IdleTimeout != 3*time.Minute || r.Reconfirm() != 0 {
		t.Errorf("registration %+v", r)
	}
	_, err = Parse([]byte(base+`reset:
  questions:
    register: 6
    atReset: 2
    custom:
      "bad id": "Hi"
registration:
  reconfirmDays: 800
  sessionLifetime: 2h
  idleTimout: 1m
`), nil)
	for _, want := range []string{"reset.questions.register: 6: use 3 to 5", "reset.questions.atReset: 2: use 3 to 5",
		"reset.questions.custom.bad id: use an id", "registration.reconfirmDays: 800", "registration.sessionLifetime: 2h0m0s",
		`registration.idleTimout (line 13): unknown key (did you mean "idleTimeout"?)`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v\nlacks %q", err, want)
		}
	}
}
