package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sspr/sspr/internal/store"
)

const messageColumns = `id, channel, recipient, subject, body, status, attempts, next_attempt_at,
	lease_until, created_at, sent_at, last_error, language`

func scanMessage(sc scanner) (store.Message, error) {
	var (
		m             store.Message
		status        string
		next, created int64
		lease, sent   sql.NullInt64
	)
	if err := sc.Scan(&m.ID, &m.Channel, &m.To, &m.Subject, &m.Body, &status, &m.Attempts, &next,
		&lease, &created, &sent, &m.LastError, &m.Language); err != nil {
		return store.Message{}, err
	}
	if len(m.Body) == 0 {
		m.Body = nil
	}
	m.Status, m.NextAttemptAt, m.CreatedAt, m.SentAt = store.MessageStatus(status), fromMicros(next), fromMicros(created), timeOrNil(sent)
	if lease.Valid {
		m.LeaseUntil = fromMicros(lease.Int64)
	}
	return m, nil
}

// Enqueue stores m as queued, due at m.NextAttemptAt (now when zero), with no attempt, and sets
// m's ID, Status, Attempts, NextAttemptAt, LeaseUntil (zero), CreatedAt (now when zero), SentAt
// and LastError.
func (s *Store) Enqueue(ctx context.Context, m *store.Message) error {
	ins, err := s.newMessage(m)
	if err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	if err := s.wr.write(ctx, ins.insert); err != nil {
		return fmt.Errorf("enqueue %s: %w", m.Channel, err)
	}
	ins.done()
	return nil
}

// messageInsert queues a message: insert inserts it, done sets its stored fields once the
// transaction has committed.
type messageInsert struct {
	m             *store.Message
	id            *int64
	created, next time.Time
}

func (s *Store) newMessage(m *store.Message) (messageInsert, error) {
	if err := m.CheckNew(); err != nil {
		return messageInsert{}, err
	}
	created := s.orNow(m.CreatedAt)
	next := created
	if !m.NextAttemptAt.IsZero() {
		next = asStored(m.NextAttemptAt)
	}
	return messageInsert{m: m, id: new(int64), created: created, next: next}, nil
}

func (mi messageInsert) insert(c wconn) error {
	m := mi.m
	res, err := c.exec(`INSERT INTO outbox_messages (channel, recipient, subject, body, status,
		attempts, next_attempt_at, created_at, language) VALUES (?, ?, ?, ?, 'queued', 0, ?, ?, ?)`,
		m.Channel, m.To, m.Subject, blob(m.Body), micros(mi.next), micros(mi.created), m.Language)
	if err != nil {
		return err
	}
	*mi.id, err = res.LastInsertId()
	return err
}

func (mi messageInsert) done() {
	m := mi.m
	m.ID, m.Status, m.Attempts, m.NextAttemptAt, m.LeaseUntil = *mi.id, store.MessageQueued, 0, mi.next, time.Time{}
	m.CreatedAt, m.SentAt, m.LastError = mi.created, nil, ""
}

// ClaimMessages leases up to limit queued messages due at now, whose lease (if any) ended by now,
// oldest first, until leaseUntil, in one statement: the single writer makes it atomic, so no
// two claimers get the same message.
func (s *Store) ClaimMessages(ctx context.Context, now, leaseUntil time.Time, limit int) ([]store.Message, error) {
	if limit <= 0 {
		return nil, nil
	}
	if !leaseUntil.After(now) {
		return nil, fmt.Errorf("claim messages: lease ends %v, not after now %v", leaseUntil, now)
	}
	n := micros(now)
	var l []store.Message
	err := s.wr.writeMany(ctx, func(c wconn) error {
		l = nil // a write may run again (see writer.runTx)
		rows, err := c.rows(`UPDATE outbox_messages SET lease_until = ?
			WHERE id IN (SELECT id FROM outbox_messages
				WHERE status = 'queued' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
				ORDER BY id LIMIT ?)
			RETURNING `+messageColumns, micros(leaseUntil), n, n, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			m, err := scanMessage(rows)
			if err != nil {
				return err
			}
			l = append(l, m)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim messages: %w", err)
	}
	// RETURNING gives the rows in no particular order.
	slices.SortFunc(l, func(a, b store.Message) int { return cmp.Compare(a.ID, b.ID) })
	return l, nil
}

// validAttempt checks RecordAttempt's arguments.
func validAttempt(status store.MessageStatus) error {
	switch status {
	case store.MessageQueued, store.MessageSent, store.MessageFailed:
		return nil
	}
	return fmt.Errorf("invalid message status %q", status)
}

// RecordAttempt stores attempt a and, in the same transaction, the message's new state: status;
// SentAt = a.At when sent; NextAttemptAt = next (a.At when zero) when queued again; Attempts + 1;
// LastError = a.Error; lease released; Body wiped when sent or failed. A message already sent or
// failed (its lease ran out while a worker was slow, and another one finished it) keeps its
// state: only the attempt is stored. ErrNotFound when there is no such message.
func (s *Store) RecordAttempt(ctx context.Context, a store.Attempt, status store.MessageStatus, next time.Time) error {
	if err := validAttempt(status); err != nil {
		return fmt.Errorf("record attempt %d: %w", a.MessageID, err)
	}
	if next.IsZero() {
		next = a.At
	}
	err := s.wr.writeMany(ctx, func(c wconn) error {
		_, err := c.exec(`UPDATE outbox_messages SET status = ?1, attempts = attempts + 1,
			last_error = ?2, lease_until = NULL,
			sent_at = CASE WHEN ?1 = 'sent' THEN ?3 ELSE sent_at END,
			next_attempt_at = CASE WHEN ?1 = 'queued' THEN ?4 ELSE next_attempt_at END,
			body = CASE WHEN ?1 = 'queued' THEN body ELSE x'' END
			WHERE id = ?5 AND status = 'queued'`,
			string(status), a.Error, micros(a.At), micros(next), a.MessageID)
		if err != nil {
			return err
		}
		_, err = c.exec(`INSERT INTO outbox_attempts (message_id, at, duration_ns, error) VALUES (?, ?, ?, ?)`,
			a.MessageID, micros(a.At), int64(a.Duration), a.Error)
		if isForeignKeyViolation(err) {
			return fmt.Errorf("message %d: %w", a.MessageID, store.ErrNotFound)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("record attempt: %w", err)
	}
	return nil
}

// Message returns the message with this ID.
func (s *Store) Message(ctx context.Context, id int64) (store.Message, error) {
	m, err := scanMessage(s.readRow(ctx, `SELECT `+messageColumns+` FROM outbox_messages WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Message{}, fmt.Errorf("message %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.Message{}, fmt.Errorf("message %d: %w", id, err)
	}
	return m, nil
}

// Attempts returns the message's attempts, oldest first. ErrNotFound when there is no such message.
func (s *Store) Attempts(ctx context.Context, id int64) ([]store.Attempt, error) {
	rows, err := s.readRows(ctx, `SELECT at, duration_ns, error FROM outbox_attempts WHERE message_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("attempts of message %d: %w", id, err)
	}
	defer rows.Close()
	var l []store.Attempt
	for rows.Next() {
		a := store.Attempt{MessageID: id}
		var t, d int64
		if err := rows.Scan(&t, &d, &a.Error); err != nil {
			return nil, fmt.Errorf("attempts of message %d: %w", id, err)
		}
		a.At, a.Duration = fromMicros(t), time.Duration(d)
		l = append(l, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("attempts of message %d: %w", id, err)
	}
	if len(l) == 0 {
		if _, err := s.Message(ctx, id); err != nil {
			return nil, fmt.Errorf("attempts: %w", err)
		}
	}
	return l, nil
}
