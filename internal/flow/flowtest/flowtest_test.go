package flowtest

import (
	"testing"

	"github.com/sspr/sspr/internal/flow"
)

func TestOutbox(t *testing.T) {
	var o Outbox
	for _, m := range []flow.Message{{To: "a", Body: "1"}, {To: "b", Body: "2"}, {To: "a", Body: "3"}} {
		if err := o.Send(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	if m, ok := o.Last("a"); !ok || m.Body != "3" {
		t.Errorf("last to a: %+v %v", m, ok)
	}
	if _, ok := o.Last("c"); ok {
		t.Error("a message to c")
	}
	if n := len(o.Messages()); n != 3 {
		t.Errorf("%d messages", n)
	}
}
