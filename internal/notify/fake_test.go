package notify_test

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/sspr/sspr/internal/notify"
	"github.com/sspr/sspr/internal/store"
)

// memQueue is an in-memory notify.Queue that behaves as store.Outbox documents.
type memQueue struct {
	mu       sync.Mutex
	nextID   int64
	msgs     map[int64]*store.Message
	attempts map[int64][]store.Attempt
	bodies   [][]byte // every body as it was enqueued
}

var _ notify.Queue = (*memQueue)(nil)

func newMemQueue() *memQueue {
	return &memQueue{msgs: map[int64]*store.Message{}, attempts: map[int64][]store.Attempt{}}
}

func (q *memQueue) Enqueue(_ context.Context, m *store.Message) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.nextID++
	m.ID = q.nextID
	c := *m
	c.Status = store.MessageQueued
	c.Body = slices.Clone(m.Body)
	q.msgs[c.ID] = &c
	q.bodies = append(q.bodies, slices.Clone(m.Body))
	return nil
}

func (q *memQueue) ClaimMessages(_ context.Context, now, leaseUntil time.Time, limit int) ([]store.Message, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var ids []int64
	for id := range q.msgs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var out []store.Message
	for _, id := range ids {
		m := q.msgs[id]
		if len(out) == limit {
			break
		}
		if m.Status != store.MessageQueued || m.NextAttemptAt.After(now) || m.LeaseUntil.After(now) {
			continue
		}
		m.LeaseUntil = leaseUntil
		c := *m
		c.Body = slices.Clone(m.Body)
		out = append(out, c)
	}
	return out, nil
}

func (q *memQueue) RecordAttempt(_ context.Context, a store.Attempt, status store.MessageStatus, next time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	m := q.msgs[a.MessageID]
	q.attempts[a.MessageID] = append(q.attempts[a.MessageID], a)
	m.Attempts++
	m.LastError = a.Error
	m.LeaseUntil = time.Time{}
	m.Status = status
	switch status {
	case store.MessageSent:
		at := a.At
		m.SentAt = &at
		m.Body = nil
	case store.MessageFailed:
		m.Body = nil
	case store.MessageQueued:
		m.NextAttemptAt = next
	}
	return nil
}

func (q *memQueue) message(id int64) store.Message {
	q.mu.Lock()
	defer q.mu.Unlock()
	return *q.msgs[id]
}

func (q *memQueue) attemptsOf(id int64) []store.Attempt {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.attempts[id])
}

// setTo rewrites a queued message's destination, as someone with write access to the database.
func (q *memQueue) setTo(id int64, to string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.msgs[id].To = to
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// channel is a notify.Channel that records messages and answers with fn's error.
type channel struct {
	mu   sync.Mutex
	got  []notify.Message // as sent, without the idempotency key (kept in keys)
	keys []string
	fn   func(ctx context.Context, m notify.Message) error
	sent chan notify.Message // receives each delivered message when not nil
}

func (c *channel) Send(ctx context.Context, m notify.Message) error {
	var err error
	if c.fn != nil {
		err = c.fn(ctx, m)
	}
	c.mu.Lock()
	c.keys = append(c.keys, m.IdempotencyKey)
	m.IdempotencyKey = ""
	c.got = append(c.got, m)
	c.mu.Unlock()
	if err == nil && c.sent != nil {
		c.sent <- m
	}
	return err
}

func (c *channel) messages() []notify.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.got)
}

func (c *channel) idempotencyKeys() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.keys)
}
