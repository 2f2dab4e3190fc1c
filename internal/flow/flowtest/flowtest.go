// Package flowtest holds fakes of the flow kernel's own small interfaces for the flows' unit
// tests: Outbox, a flow.Sender that keeps what it is given.
package flowtest

import (
	"context"
	"slices"
	"sync"

	"github.com/sspr/sspr/internal/flow"
)

// Outbox is a flow.Sender that keeps the messages. Safe for concurrent use.
type Outbox struct {
	mu   sync.Mutex
	msgs []flow.Message
}

var _ flow.Sender = (*Outbox)(nil)

// Send keeps m.
func (o *Outbox) Send(_ context.Context, m flow.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, m)
	return nil
}

// Messages returns a copy of the messages sent, oldest first.
func (o *Outbox) Messages() []flow.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.msgs)
}

// Last returns the newest message to to, and whether there is one.
func (o *Outbox) Last(to string) (flow.Message, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := len(o.msgs) - 1; i >= 0; i-- {
		if o.msgs[i].To == to {
			return o.msgs[i], true
		}
	}
	return flow.Message{}, false
}
