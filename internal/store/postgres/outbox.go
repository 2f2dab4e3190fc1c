package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sspr/sspr/internal/store"
)

const messageColumns = `id, channel, recipient, subject, body, status, attempts, next_attempt_at,
	lease_until, created_at, sent_at, last_error, language`

func scanMessage(row pgx.Row) (store.Message, error) {
	var (
		m      store.Message
		status string
		lease  *time.Time
	)
	if err := row.Scan(&m.ID, &m.Channel, &m.To, &m.Subject, &m.Body, &status, &m.Attempts, &m.NextAttemptAt,
		&lease, &m.CreatedAt, &m.SentAt, &m.LastError, &m.Language); err != nil {
		return store.Message{}, err
	}
	if len(m.Body) == 0 {
		m.Body = nil
	}
	m.Status, m.NextAttemptAt, m.CreatedAt, m.SentAt = store.MessageStatus(status), m.NextAttemptAt.UTC(), m.CreatedAt.UTC(), utcOrNil(m.SentAt)
	if lease != nil {
		m.LeaseUntil = lease.UTC()
	}
	return m, nil
}

// Enqueue stores m as queued, due at m.NextAttemptAt (now when zero), with no attempt, and sets
// m's ID, Status, Attempts, NextAttemptAt, LeaseUntil (zero), CreatedAt (now when zero), SentAt
// and LastError.
func (s *Store) Enqueue(ctx context.Context, m *store.Message) error {
	b := &pgx.Batch{}
	done, err := s.queueMessage(b, m, "")
	if err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("enqueue %s: %w", m.Channel, withCtx(ctx, err))
	}
	done()
	return nil
}

// queueMessage queues on b the insert of m, as queued; with ifWritten, only when this
// transaction wrote that session (else nothing). done sets m's stored fields once b has run
// without error (m.ID stays 0 when it was not inserted).
func (s *Store) queueMessage(b *pgx.Batch, m *store.Message, ifWritten string) (done func(), err error) {
	if err := m.CheckNew(); err != nil {
		return nil, err
	}
	created := s.orNow(m.CreatedAt)
	next := created
	if !m.NextAttemptAt.IsZero() {
		next = ts(m.NextAttemptAt)
	}
	var id int64
	q := `INSERT INTO outbox_messages (channel, recipient, subject, body, status,
		attempts, next_attempt_at, created_at, language) VALUES ($1, $2, $3, $4, 'queued', 0, $5, $6, $7) RETURNING id`
	args := []any{m.Channel, m.To, m.Subject, bytes0(m.Body), next, created, m.Language}
	if ifWritten != "" {
		q = `INSERT INTO outbox_messages (channel, recipient, subject, body, status,
		attempts, next_attempt_at, created_at, language) SELECT $1, $2, $3, $4, 'queued', 0, $5, $6, $7
		WHERE EXISTS (SELECT 1 FROM sessions WHERE id = $8 AND xmin = pg_current_xact_id()::xid) RETURNING id`
		args = append(args, ifWritten)
	}
	b.Queue(q, args...).QueryRow(func(row pgx.Row) error {
		if err := row.Scan(&id); !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		return nil
	})
	return func() {
		m.ID, m.Status, m.Attempts, m.NextAttemptAt, m.LeaseUntil = id, store.MessageQueued, 0, next, time.Time{}
		m.CreatedAt, m.SentAt, m.LastError = created, nil, ""
	}, nil
}

// ClaimMessages leases up to limit queued messages due at now, whose lease (if any) ended by now,
// oldest first, until leaseUntil, in one statement: SELECT ... FOR UPDATE SKIP LOCKED passes
// over the rows another claimer is taking, and a row that one has just leased fails the lease
// condition when re-checked, so no two claimers, of any instance, get the same message.
func (s *Store) ClaimMessages(ctx context.Context, now, leaseUntil time.Time, limit int) ([]store.Message, error) {
	if limit <= 0 {
		return nil, nil
	}
	if !leaseUntil.After(now) {
		return nil, fmt.Errorf("claim messages: lease ends %v, not after now %v", leaseUntil, now)
	}
	rows, err := s.pool.Query(ctx, `WITH due AS (
			SELECT id FROM outbox_messages
			WHERE status = 'queued' AND next_attempt_at <= $2 AND (lease_until IS NULL OR lease_until <= $2)
			ORDER BY id LIMIT $3
			FOR UPDATE SKIP LOCKED)
		UPDATE outbox_messages m SET lease_until = $1 FROM due WHERE m.id = due.id
		RETURNING `+prefixed("m.", messageColumns), ts(leaseUntil), ts(now), limit)
	if err != nil {
		return nil, fmt.Errorf("claim messages: %w", withCtx(ctx, err))
	}
	defer rows.Close()
	var l []store.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("claim messages: %w", err)
		}
		l = append(l, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim messages: %w", withCtx(ctx, err))
	}
	// RETURNING gives the rows in no particular order.
	slices.SortFunc(l, func(a, b store.Message) int { return cmp.Compare(a.ID, b.ID) })
	return l, nil
}

// prefixed qualifies each column of a comma-separated list.
func prefixed(p, columns string) string {
	fields := strings.Split(columns, ",")
	for i, f := range fields {
		fields[i] = p + strings.TrimSpace(f)
	}
	return strings.Join(fields, ", ")
}

// RecordAttempt stores attempt a and, in the same transaction, the message's new state: status;
// SentAt = a.At when sent; NextAttemptAt = next (a.At when zero) when queued again; Attempts + 1;
// LastError = a.Error; lease released; Body wiped when sent or failed. A message already sent or
// failed (its lease ran out while a worker was slow, and another one finished it) keeps its
// state: only the attempt is stored. ErrNotFound when there is no such message.
func (s *Store) RecordAttempt(ctx context.Context, a store.Attempt, status store.MessageStatus, next time.Time) error {
	switch status {
	case store.MessageQueued, store.MessageSent, store.MessageFailed:
	default:
		return fmt.Errorf("record attempt %d: invalid message status %q", a.MessageID, status)
	}
	if next.IsZero() {
		next = a.At
	}
	// One batch: one round trip and one implicit transaction (an explicit one cost two more).
	b := &pgx.Batch{}
	b.Queue(`UPDATE outbox_messages SET status = $1, attempts = attempts + 1, last_error = $2, lease_until = NULL,
		sent_at = CASE WHEN $1 = 'sent' THEN $3 ELSE sent_at END,
		next_attempt_at = CASE WHEN $1 = 'queued' THEN $4 ELSE next_attempt_at END,
		body = CASE WHEN $1 = 'queued' THEN body ELSE ''::bytea END
		WHERE id = $5 AND status = 'queued'`,
		string(status), a.Error, ts(a.At), ts(next), a.MessageID)
	b.Queue(`INSERT INTO outbox_attempts (message_id, at, duration_ns, error) VALUES ($1, $2, $3, $4)`,
		a.MessageID, ts(a.At), int64(a.Duration), a.Error)
	err := s.pool.SendBatch(ctx, b).Close()
	if isForeignKeyViolation(err) {
		return fmt.Errorf("record attempt: message %d: %w", a.MessageID, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("record attempt: %w", withCtx(ctx, err))
	}
	return nil
}

// Message returns the message with this ID.
func (s *Store) Message(ctx context.Context, id int64) (store.Message, error) {
	m, err := scanMessage(s.pool.QueryRow(ctx, `SELECT `+messageColumns+` FROM outbox_messages WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Message{}, fmt.Errorf("message %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.Message{}, fmt.Errorf("message %d: %w", id, withCtx(ctx, err))
	}
	return m, nil
}

// Attempts returns the message's attempts, oldest first. ErrNotFound when there is no such message.
func (s *Store) Attempts(ctx context.Context, id int64) ([]store.Attempt, error) {
	rows, err := s.pool.Query(ctx, `SELECT at, duration_ns, error FROM outbox_attempts WHERE message_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("attempts of message %d: %w", id, withCtx(ctx, err))
	}
	defer rows.Close()
	var l []store.Attempt
	for rows.Next() {
		a := store.Attempt{MessageID: id}
		var d int64
		if err := rows.Scan(&a.At, &d, &a.Error); err != nil {
			return nil, fmt.Errorf("attempts of message %d: %w", id, err)
		}
		a.At, a.Duration = a.At.UTC(), time.Duration(d)
		l = append(l, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("attempts of message %d: %w", id, withCtx(ctx, err))
	}
	if len(l) == 0 {
		if _, err := s.Message(ctx, id); err != nil {
			return nil, fmt.Errorf("attempts: %w", err)
		}
	}
	return l, nil
}
