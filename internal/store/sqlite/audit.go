package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sspr/sspr/internal/store"
)

const qInsertAudit = `INSERT INTO audit_events (at, type, actor, user_id, user_principal_name, upn_key,
	client_ip, user_agent, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`

// auditRow is an audit event checked and encoded for qInsertAudit.
type auditRow struct {
	args []any
	at   time.Time
}

// auditArgs checks e and encodes it; a zero Time means now.
func (s *Store) auditArgs(e *store.AuditEvent) (auditRow, error) {
	if e.Type == "" {
		return auditRow{}, errors.New("audit event without type")
	}
	details, err := encodeMap(e.Details)
	if err != nil {
		return auditRow{}, fmt.Errorf("audit event %s: details: %w", e.Type, err)
	}
	t := s.orNow(e.Time)
	return auditRow{at: t, args: []any{micros(t), e.Type, e.Actor, e.UserID,
		e.UserPrincipalName, key(e.UserPrincipalName), e.ClientIP, e.UserAgent, details}}, nil
}

// insert runs qInsertAudit with exec and returns the new event's ID.
func (a auditRow) insert(exec func(args ...any) (sql.Result, error)) (int64, error) {
	res, err := exec(a.args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// AppendAudit records e (a zero Time means now) and sets e.ID and e.Time.
func (s *Store) AppendAudit(ctx context.Context, e *store.AuditEvent) error {
	a, err := s.auditArgs(e)
	if err != nil {
		return fmt.Errorf("append audit: %w", err)
	}
	var id int64
	err = s.wr.write(ctx, func(c wconn) (err error) {
		id, err = a.insert(func(args ...any) (sql.Result, error) { return c.exec(qInsertAudit, args...) })
		return err
	})
	if err != nil {
		return fmt.Errorf("append audit %s: %w", e.Type, err)
	}
	e.ID, e.Time = id, a.at
	return nil
}

// ListAudit calls fn for the matching events, newest first (by Time, then by ID), reading rows as
// they come; fn runs while the query holds a reader connection. Since is inclusive, Until
// exclusive.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter, fn func(store.AuditEvent) error) error {
	var (
		conds []string
		args  []any
	)
	if f.UserPrincipalName != "" {
		conds = append(conds, `upn_key = ?`)
		args = append(args, key(f.UserPrincipalName))
	}
	if f.TypePrefix != "" {
		conds = append(conds, `substr(type, 1, length(?)) = ?`)
		args = append(args, f.TypePrefix, f.TypePrefix)
	}
	if !f.Since.IsZero() {
		conds = append(conds, `at >= ?`)
		args = append(args, micros(f.Since))
	}
	if !f.Until.IsZero() {
		conds = append(conds, `at < ?`)
		args = append(args, micros(f.Until))
	}
	q := `SELECT id, at, type, actor, user_id, user_principal_name, client_ip, user_agent, details FROM audit_events`
	if len(conds) > 0 {
		q += ` WHERE ` + strings.Join(conds, ` AND `)
	}
	q += ` ORDER BY at DESC, id DESC`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := s.readRows(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("list audit: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			e       store.AuditEvent
			t       int64
			details string
		)
		if err := rows.Scan(&e.ID, &t, &e.Type, &e.Actor, &e.UserID, &e.UserPrincipalName, &e.ClientIP,
			&e.UserAgent, &details); err != nil {
			return fmt.Errorf("list audit: %w", err)
		}
		e.Time = fromMicros(t)
		if e.Details, err = decodeMap(details); err != nil {
			return fmt.Errorf("list audit: event %d: details: %w", e.ID, err)
		}
		if err := fn(e); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("list audit: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list audit: %w", err)
	}
	return nil
}

// encodeMap stores a string map as a JSON object (keys sorted).
func encodeMap(m map[string]string) (string, error) {
	if len(m) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// decodeMap reads encodeMap's form; an empty map is nil.
func decodeMap(s string) (map[string]string, error) {
	if s == "{}" || s == "" {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, err
	}
	if len(m) == 0 {
		return nil, nil
	}
	return m, nil
}
