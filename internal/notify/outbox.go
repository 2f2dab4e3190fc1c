package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/sspr/sspr/internal/store"
)

// Queue is the part of store.Outbox that notify uses; every store.Outbox is one.
type Queue interface {
	// Enqueue stores m as queued, due at m.NextAttemptAt (now when zero).
	Enqueue(ctx context.Context, m *store.Message) error
	// ClaimMessages leases up to limit queued messages due at now until leaseUntil.
	ClaimMessages(ctx context.Context, now, leaseUntil time.Time, limit int) ([]store.Message, error)
	// RecordAttempt stores an attempt and the message's new status (sent, queued again at
	// next, or failed), and releases the lease.
	RecordAttempt(ctx context.Context, a store.Attempt, status store.MessageStatus, next time.Time) error
}

var _ Queue = (store.Outbox)(nil)

// Outbox is the sending side: the web flows call Send, a Worker delivers.
type Outbox struct {
	q   Queue
	s   *Sealer
	now func() time.Time
}

// NewOutbox returns an Outbox that seals bodies with s and enqueues into q. now nil means
// time.Now.
func NewOutbox(q Queue, s *Sealer, now func() time.Time) *Outbox {
	if now == nil {
		now = time.Now
	}
	return &Outbox{q: q, s: s, now: now}
}

// Send validates m (see Message.Validate: errors wrap ErrInvalidMessage), seals its body and
// queues it, due now. It returns the message's outbox ID. Delivery happens later, in a Worker;
// call Worker.Notify after Send to have it go out at once.
func (o *Outbox) Send(ctx context.Context, m Message) (int64, error) {
	sm, err := o.Prepare(m)
	if err != nil {
		return 0, err
	}
	if err := o.q.Enqueue(ctx, sm); err != nil {
		return 0, fmt.Errorf("notify: enqueue %s to %s: %w", m.Channel, MaskDestination(m.Channel, m.To), err)
	}
	return sm.ID, nil
}

// Prepare is Send without the queuing: it returns the outbox row m becomes (validated, body
// sealed, due now), for a caller that writes it in its own transaction (store.StepWrite.Enqueue).
func (o *Outbox) Prepare(m Message) (*store.Message, error) {
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	body, err := o.s.seal([]byte(m.Body), messageAD(m.Channel, m.To))
	if err != nil {
		return nil, err
	}
	now := o.now()
	return &store.Message{
		Channel:       m.Channel,
		To:            m.To,
		Subject:       m.Subject,
		Body:          body,
		Language:      m.Language,
		Status:        store.MessageQueued,
		NextAttemptAt: now,
		CreatedAt:     now,
	}, nil
}
