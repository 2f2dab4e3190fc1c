package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/sspr/sspr/internal/store"
)

// querier runs statements: the pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

const qInsertAudit = `INSERT INTO audit_events (at, type, actor, user_id, user_principal_name, upn_key,
	client_ip, user_agent, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`

// insertAudit inserts e with q (a zero Time means now) and sets e.ID and e.Time.
func (s *Store) insertAudit(ctx context.Context, q querier, e *store.AuditEvent) error {
	if e.Type == "" {
		return errors.New("audit event without type")
	}
	details := e.Details
	if details == nil {
		details = map[string]string{}
	}
	t := s.orNow(e.Time)
	var id int64
	if err := q.QueryRow(ctx, qInsertAudit, t, e.Type, e.Actor, e.UserID, e.UserPrincipalName, key(e.UserPrincipalName), e.ClientIP, e.UserAgent,
		details).Scan(&id); err != nil {
		return fmt.Errorf("audit event %s: %w", e.Type, withCtx(ctx, err))
	}
	e.ID, e.Time = id, t
	return nil
}

// AppendAudit records e (a zero Time means now) and sets e.ID and e.Time.
func (s *Store) AppendAudit(ctx context.Context, e *store.AuditEvent) error {
	if err := s.insertAudit(ctx, s.pool, e); err != nil {
		return fmt.Errorf("append audit: %w", err)
	}
	return nil
}

// ListAudit calls fn for the matching events, newest first (by Time, then by ID), reading rows as
// they come; fn runs while the query holds a pooled connection. Since is inclusive, Until
// exclusive.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter, fn func(store.AuditEvent) error) error {
	var (
		conds []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.UserPrincipalName != "" {
		conds = append(conds, `upn_key = `+arg(key(f.UserPrincipalName)))
	}
	if f.TypePrefix != "" {
		conds = append(conds, `starts_with(type, `+arg(f.TypePrefix)+`)`)
	}
	if !f.Since.IsZero() {
		conds = append(conds, `at >= `+arg(ts(f.Since)))
	}
	if !f.Until.IsZero() {
		conds = append(conds, `at < `+arg(ts(f.Until)))
	}
	q := `SELECT id, at, type, actor, user_id, user_principal_name, client_ip, user_agent, details FROM audit_events`
	if len(conds) > 0 {
		q += ` WHERE ` + strings.Join(conds, ` AND `)
	}
	q += ` ORDER BY at DESC, id DESC`
	if f.Limit > 0 {
		q += ` LIMIT ` + strconv.Itoa(f.Limit)
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("list audit: %w", withCtx(ctx, err))
	}
	defer rows.Close()
	for rows.Next() {
		var e store.AuditEvent
		if err := rows.Scan(&e.ID, &e.Time, &e.Type, &e.Actor, &e.UserID, &e.UserPrincipalName, &e.ClientIP,
			&e.UserAgent, &e.Details); err != nil {
			return fmt.Errorf("list audit: %w", err)
		}
		e.Time = e.Time.UTC()
		if len(e.Details) == 0 {
			e.Details = nil
		}
		if err := fn(e); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("list audit: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list audit: %w", withCtx(ctx, err))
	}
	return nil
}
