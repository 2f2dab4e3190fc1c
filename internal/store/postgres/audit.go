package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sspr/sspr/internal/audit"
	"github.com/sspr/sspr/internal/store"
)

// querier runs statements: the pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// qChainNext advances the chain's head under its row lock and computes the new link's HMAC with
// SHA-256 alone (audit.Pads: $11 inner, $12 outer padded key; $10 the content digest); the
// insert takes seq and hash from it. One statement, so an append stays one round trip.
const qChainNext = `UPDATE audit_chain SET head_seq = head_seq + 1,
	head_hash = sha256($12::bytea || sha256($11::bytea || head_hash || int8send(head_seq + 1) || $10::bytea))
	WHERE id = 1`

const qInsertAudit = `WITH h AS (` + qChainNext + ` RETURNING head_seq, head_hash)
	INSERT INTO audit_events (at, type, actor, user_id, user_principal_name, upn_key, client_ip, user_agent, details, seq, hash)
	SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, h.head_seq, h.head_hash FROM h RETURNING id, seq, hash`

// qInsertAuditIfUpdated is qInsertAudit when this transaction wrote the session $13 (else the
// head does not move and nothing is inserted).
const qInsertAuditIfUpdated = `WITH h AS (` + qChainNext + `
	AND EXISTS (SELECT 1 FROM sessions WHERE id = $13 AND xmin = pg_current_xact_id()::xid) RETURNING head_seq, head_hash)
	INSERT INTO audit_events (at, type, actor, user_id, user_principal_name, upn_key, client_ip, user_agent, details, seq, hash)
	SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, h.head_seq, h.head_hash FROM h RETURNING id, seq, hash`

// SetAuditKey sets the key of the audit chain (secret.Key.Derive(audit.Purpose)); call it before
// the store is used. Without it the store uses audit.Unkeyed.
func (s *Store) SetAuditKey(key []byte) {
	s.auditKey = append([]byte(nil), key...)
	s.auditInner, s.auditOuter = audit.Pads(key)
}

// auditArgs checks e, sets e.Time (a zero Time means now) and returns qInsertAudit's arguments.
func (s *Store) auditArgs(e *store.AuditEvent) ([]any, error) {
	if e.Type == "" {
		return nil, errors.New("audit event without type")
	}
	details := e.Details
	if details == nil {
		details = map[string]string{}
	}
	e.Time = s.orNow(e.Time)
	d := audit.Digest(*e)
	return []any{e.Time, e.Type, e.Actor, e.UserID, e.UserPrincipalName, key(e.UserPrincipalName), e.ClientIP, e.UserAgent,
		details, d[:], s.auditInner, s.auditOuter}, nil
}

// insertAudit inserts e with q (a zero Time means now) and sets e.ID, e.Time, e.Seq and e.Hash.
func (s *Store) insertAudit(ctx context.Context, q querier, e *store.AuditEvent) error {
	args, err := s.auditArgs(e)
	if err != nil {
		return err
	}
	if err := q.QueryRow(ctx, qInsertAudit, args...).Scan(&e.ID, &e.Seq, &e.Hash); err != nil {
		return fmt.Errorf("audit event %s: %w", e.Type, withCtx(ctx, err))
	}
	return nil
}

// AppendAudit records e (a zero Time means now) and sets e.ID, e.Time, e.Seq and e.Hash.
func (s *Store) AppendAudit(ctx context.Context, e *store.AuditEvent) error {
	if err := s.insertAudit(ctx, s.pool, e); err != nil {
		return fmt.Errorf("append audit: %w", err)
	}
	return nil
}

// pendingAudit holds the events a transaction appends until just before its commit: the chain's
// head is locked from the insert to the commit, so inserting last keeps that short (a sync's
// transaction may last minutes) and takes the head after every other lock (no deadlock).
type pendingAudit []*store.AuditEvent

// add checks e and keeps it.
func (p *pendingAudit) add(s *Store, e *store.AuditEvent) error {
	if e.Type == "" {
		return errors.New("audit event without type")
	}
	e.Time = s.orNow(e.Time)
	*p = append(*p, e)
	return nil
}

// insert appends the kept events in tx.
func (p *pendingAudit) insert(ctx context.Context, s *Store, tx pgx.Tx) error {
	for _, e := range *p {
		if err := s.insertAudit(ctx, tx, e); err != nil {
			return fmt.Errorf("append audit: %w", err)
		}
	}
	*p = nil
	return nil
}

const auditColumns = `id, at, type, actor, user_id, user_principal_name, client_ip, user_agent, details, COALESCE(seq, 0), hash`

func scanAudit(rows pgx.Rows) (store.AuditEvent, error) {
	var e store.AuditEvent
	if err := rows.Scan(&e.ID, &e.Time, &e.Type, &e.Actor, &e.UserID, &e.UserPrincipalName, &e.ClientIP,
		&e.UserAgent, &e.Details, &e.Seq, &e.Hash); err != nil {
		return e, err
	}
	e.Time = e.Time.UTC()
	if len(e.Details) == 0 {
		e.Details = nil
	}
	return e, nil
}

// ListAudit calls fn for the matching events, newest first (by Time, then by ID), reading rows as
// they come; fn runs while the query holds a pooled connection. Since is inclusive, Until
// exclusive. The client address filter of a network (more than one address) is applied here,
// on each row; every other filter in SQL.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter, fn func(store.AuditEvent) error) error {
	q, args, inGo := auditQuery(f)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("list audit: %w", withCtx(ctx, err))
	}
	defer rows.Close()
	if err := listAudit(ctx, rows, f, inGo, fn); err != nil {
		return err
	}
	return nil
}

// listAudit calls fn for the rows of auditQuery(f) that f keeps, up to f.Limit.
func listAudit(ctx context.Context, rows pgx.Rows, f store.AuditFilter, inGo bool, fn func(store.AuditEvent) error) error {
	n := 0
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return fmt.Errorf("list audit: %w", err)
		}
		if inGo && !f.Keep(e) {
			continue
		}
		if err := fn(e); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("list audit: %w", err)
		}
		if n++; f.Limit > 0 && n >= f.Limit {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list audit: %w", withCtx(ctx, err))
	}
	return nil
}

// auditQuery is ListAudit's statement for f; inGo: the client address filter (a network) is
// applied to each row, not in SQL (and then the limit too).
func auditQuery(f store.AuditFilter) (q string, args []any, inGo bool) {
	var conds []string
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
	if prefix, ok := strings.CutSuffix(f.Actor, ":"); ok {
		conds = append(conds, `starts_with(lower(actor), `+arg(strings.ToLower(prefix)+":")+`) AND length(actor) > `+arg(len(prefix)+1))
	} else if f.Actor != "" {
		conds = append(conds, `lower(actor) = `+arg(strings.ToLower(f.Actor)))
	}
	if f.Outcome != "" {
		conds = append(conds, `lower(details->>'outcome') = `+arg(strings.ToLower(f.Outcome)))
	}
	if p := f.ClientIP; p.IsValid() {
		if p.IsSingleIP() {
			conds = append(conds, `client_ip = ANY(`+arg(addrForms(p))+`)`)
		} else {
			inGo = true
		}
	}
	if c := f.After; c != nil {
		conds = append(conds, `(at, id) < (`+arg(ts(c.Time))+`, `+arg(c.ID)+`)`)
	}
	q = `SELECT ` + auditColumns + ` FROM audit_events`
	if len(conds) > 0 {
		q += ` WHERE ` + strings.Join(conds, ` AND `)
	}
	q += ` ORDER BY at DESC, id DESC`
	if f.Limit > 0 && !inGo {
		q += ` LIMIT ` + strconv.Itoa(f.Limit)
	}
	return q, args, inGo
}

// addrForms is how a stored client address of p (a single address) may read: as written by
// netip, and, for IPv4, its IPv4-mapped IPv6 form.
func addrForms(p netip.Prefix) []string {
	a := p.Addr().Unmap()
	forms := []string{a.String()}
	if a.Is4() {
		forms = append(forms, "::ffff:"+a.String())
	}
	return forms
}

// AuditChain reads the chain's head and anchor and counts the events outside it.
func (s *Store) AuditChain(ctx context.Context) (store.AuditChain, error) {
	var (
		c      store.AuditChain
		before *time.Time
		legacy int64
		first  *int64
	)
	err := s.pool.QueryRow(ctx, `SELECT head_seq, head_hash, anchor_seq, anchor_hash, anchor_before, anchor_mac, legacy_max_id,
		(SELECT count(*) FROM audit_events WHERE seq IS NULL AND id <= c.legacy_max_id),
		(SELECT count(*) FROM audit_events WHERE seq IS NULL AND id > c.legacy_max_id),
		(SELECT min(id) FROM audit_events WHERE seq IS NULL AND id > c.legacy_max_id)
		FROM audit_chain c WHERE id = 1`).Scan(&c.HeadSeq, &c.HeadHash, &c.AnchorSeq, &c.AnchorHash, &before, &c.AnchorMAC,
		&legacy, &c.Legacy, &c.Unchained, &first)
	if err != nil {
		return store.AuditChain{}, fmt.Errorf("audit chain: %w", withCtx(ctx, err))
	}
	if before != nil {
		c.AnchorBefore = before.UTC()
	}
	if first != nil {
		c.FirstUnchainedID = *first
	}
	return c, nil
}

// WalkAuditChain calls fn for the chained events with Seq > after, in Seq order.
func (s *Store) WalkAuditChain(ctx context.Context, after int64, fn func(store.AuditEvent) error) error {
	rows, err := s.pool.Query(ctx, `SELECT `+auditColumns+` FROM audit_events WHERE seq > $1 ORDER BY seq`, after)
	if err != nil {
		return fmt.Errorf("walk audit chain: %w", withCtx(ctx, err))
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return fmt.Errorf("walk audit chain: %w", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("walk audit chain: %w", withCtx(ctx, err))
	}
	return nil
}

// pruneBatch is how many events one transaction of PruneAudit deletes at most.
const pruneBatch = 10000

// PruneAudit deletes the events older than before, in transactions of at most pruneBatch
// events, each moving the anchor to the last chained event it deletes (see store.Audit).
func (s *Store) PruneAudit(ctx context.Context, before time.Time) (int64, error) {
	before = ts(before)
	var total int64
	for {
		n, err := s.pruneChained(ctx, before, s.auditKey)
		total += n
		if err != nil {
			return total, fmt.Errorf("prune audit: %w", err)
		}
		if n < pruneBatch {
			break
		}
	}
	for {
		tag, err := s.pool.Exec(ctx, `DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events
			WHERE seq IS NULL AND id <= (SELECT legacy_max_id FROM audit_chain) AND at < $1 LIMIT $2)`, before, pruneBatch)
		if err != nil {
			return total, fmt.Errorf("prune audit: events from before the chain: %w", withCtx(ctx, err))
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < pruneBatch {
			return total, nil
		}
	}
}

// pruneChained deletes one batch of the chain's oldest events older than before.
func (s *Store) pruneChained(ctx context.Context, before time.Time, key []byte) (int64, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, withCtx(ctx, err)
	}
	defer tx.Rollback(context.Background())
	var anchor int64
	// The head's lock: appends wait, so no event gets a seq below the new anchor meanwhile.
	if err := tx.QueryRow(ctx, `SELECT anchor_seq FROM audit_chain WHERE id = 1 FOR UPDATE`).Scan(&anchor); err != nil {
		return 0, withCtx(ctx, err)
	}
	// The last event to delete: the chain's prefix of events older than before, at most a batch.
	var last *int64
	if err := tx.QueryRow(ctx, `SELECT max(seq) FROM (SELECT seq FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2) b
		WHERE seq < COALESCE((SELECT min(seq) FROM audit_events WHERE seq > $1 AND at >= $3), 9223372036854775807)`,
		anchor, pruneBatch, before).Scan(&last); err != nil {
		return 0, withCtx(ctx, err)
	}
	if last == nil {
		return 0, nil
	}
	var hash []byte
	if err := tx.QueryRow(ctx, `SELECT hash FROM audit_events WHERE seq = $1`, *last).Scan(&hash); err != nil {
		return 0, withCtx(ctx, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE audit_chain SET anchor_seq = $1, anchor_hash = $2, anchor_before = $3, anchor_mac = $4 WHERE id = 1`,
		*last, hash, before, audit.AnchorMAC(key, *last, hash, before)); err != nil {
		return 0, withCtx(ctx, err)
	}
	tag, err := tx.Exec(ctx, `DELETE FROM audit_events WHERE seq > $1 AND seq <= $2`, anchor, *last)
	if err != nil {
		return 0, withCtx(ctx, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, withCtx(ctx, err)
	}
	return tag.RowsAffected(), nil
}
