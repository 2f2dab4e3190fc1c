package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sspr/sspr/internal/audit"
	"github.com/sspr/sspr/internal/store"
)

const qInsertAudit = `INSERT INTO audit_events (at, type, actor, user_id, user_principal_name, upn_key,
	client_ip, user_agent, details, seq, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

const (
	qChainHead    = `SELECT head_seq, head_hash FROM audit_chain WHERE id = 1`
	qSetChainHead = `UPDATE audit_chain SET head_seq = ?, head_hash = ? WHERE id = 1`
)

// SetAuditKey sets the key of the audit chain (secret.Key.Derive(audit.Purpose)); call it before
// the store is used. Without it the store uses audit.Unkeyed.
func (s *Store) SetAuditKey(key []byte) { s.auditKey = append([]byte(nil), key...) }

// auditRow is an audit event checked and encoded for qInsertAudit.
type auditRow struct {
	args   []any
	at     time.Time
	digest [audit.HashSize]byte
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
	c := *e
	c.Time = t
	return auditRow{at: t, digest: audit.Digest(c), args: []any{micros(t), e.Type, e.Actor, e.UserID,
		e.UserPrincipalName, key(e.UserPrincipalName), e.ClientIP, e.UserAgent, details}}, nil
}

// link is an appended event's place in the chain.
type link struct {
	id, seq int64
	hash    []byte
}

// insert appends a to the chain on the writer connection c: it reads the head, inserts the event
// with the next seq and its hash, and moves the head to it. c is in a transaction (writeMany or
// a SyncTx/Update), so the three are one.
func (a auditRow) insert(c wconn, key []byte) (link, error) {
	var (
		seq  int64
		prev []byte
	)
	if err := c.row(qChainHead).Scan(&seq, &prev); err != nil {
		return link{}, fmt.Errorf("audit chain head: %w", err)
	}
	seq++
	hash := audit.Link(key, prev, seq, a.digest)
	res, err := c.exec(qInsertAudit, append(a.args[:len(a.args):len(a.args)], seq, hash)...)
	if err != nil {
		return link{}, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return link{}, err
	}
	if _, err := c.exec(qSetChainHead, seq, hash); err != nil {
		return link{}, err
	}
	return link{id, seq, hash}, nil
}

// set writes l and the stored time to e.
func (l link) set(e *store.AuditEvent, at time.Time) {
	e.ID, e.Time, e.Seq, e.Hash = l.id, at, l.seq, l.hash
}

// AppendAudit records e (a zero Time means now) and sets e.ID, e.Time, e.Seq and e.Hash.
func (s *Store) AppendAudit(ctx context.Context, e *store.AuditEvent) error {
	a, err := s.auditArgs(e)
	if err != nil {
		return fmt.Errorf("append audit: %w", err)
	}
	var l link
	err = s.wr.writeMany(ctx, func(c wconn) (err error) {
		l, err = a.insert(c, s.auditKey)
		return err
	})
	if err != nil {
		return fmt.Errorf("append audit %s: %w", e.Type, err)
	}
	l.set(e, a.at)
	return nil
}

const auditColumns = `id, at, type, actor, user_id, user_principal_name, client_ip, user_agent, details, COALESCE(seq, 0), hash`

func scanAudit(rows *sql.Rows) (store.AuditEvent, error) {
	var (
		e       store.AuditEvent
		t       int64
		details string
	)
	if err := rows.Scan(&e.ID, &t, &e.Type, &e.Actor, &e.UserID, &e.UserPrincipalName, &e.ClientIP,
		&e.UserAgent, &details, &e.Seq, &e.Hash); err != nil {
		return e, err
	}
	e.Time = fromMicros(t)
	var err error
	if e.Details, err = decodeMap(details); err != nil {
		return e, fmt.Errorf("event %d: details: %w", e.ID, err)
	}
	return e, nil
}

// ListAudit calls fn for the matching events, newest first (by Time, then by ID), reading rows as
// they come; fn runs while the query holds a reader connection. Since is inclusive, Until
// exclusive. The client address filter of a network (more than one address) is applied here,
// on each row; every other filter in SQL.
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
	if prefix, ok := strings.CutSuffix(f.Actor, ":"); ok {
		p := strings.ToLower(prefix) + ":"
		conds = append(conds, `substr(lower(actor), 1, length(?)) = ? AND length(actor) > length(?)`)
		args = append(args, p, p, p)
	} else if f.Actor != "" {
		conds = append(conds, `lower(actor) = ?`)
		args = append(args, strings.ToLower(f.Actor))
	}
	if f.Outcome != "" {
		conds = append(conds, `lower(json_extract(details, '$.outcome')) = ?`)
		args = append(args, strings.ToLower(f.Outcome))
	}
	inGo := false
	if p := f.ClientIP; p.IsValid() {
		if a := p.Addr().Unmap(); p.IsSingleIP() {
			conds = append(conds, `client_ip IN (?, ?)`)
			args = append(args, a.String(), "::ffff:"+a.String())
		} else {
			inGo = true
		}
	}
	if c := f.After; c != nil {
		conds = append(conds, `(at, id) < (?, ?)`)
		args = append(args, micros(c.Time), c.ID)
	}
	q := `SELECT ` + auditColumns + ` FROM audit_events`
	if len(conds) > 0 {
		q += ` WHERE ` + strings.Join(conds, ` AND `)
	}
	q += ` ORDER BY at DESC, id DESC`
	if f.Limit > 0 && !inGo {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := s.readRows(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("list audit: %w", err)
	}
	defer rows.Close()
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
		return fmt.Errorf("list audit: %w", err)
	}
	return nil
}

// AuditChain reads the chain's head and anchor and counts the events outside it.
func (s *Store) AuditChain(ctx context.Context) (store.AuditChain, error) {
	var (
		c      store.AuditChain
		before sql.NullInt64
		legacy int64
		first  sql.NullInt64
	)
	err := s.readRow(ctx, `SELECT head_seq, head_hash, anchor_seq, anchor_hash, anchor_before, anchor_mac, legacy_max_id,
		(SELECT count(*) FROM audit_events WHERE seq IS NULL AND id <= c.legacy_max_id),
		(SELECT count(*) FROM audit_events WHERE seq IS NULL AND id > c.legacy_max_id),
		(SELECT min(id) FROM audit_events WHERE seq IS NULL AND id > c.legacy_max_id)
		FROM audit_chain c WHERE id = 1`).Scan(&c.HeadSeq, &c.HeadHash, &c.AnchorSeq, &c.AnchorHash, &before, &c.AnchorMAC,
		&legacy, &c.Legacy, &c.Unchained, &first)
	if err != nil {
		return store.AuditChain{}, fmt.Errorf("audit chain: %w", err)
	}
	if before.Valid {
		c.AnchorBefore = fromMicros(before.Int64)
	}
	c.FirstUnchainedID = first.Int64
	return c, nil
}

// WalkAuditChain calls fn for the chained events with Seq > after, in Seq order.
func (s *Store) WalkAuditChain(ctx context.Context, after int64, fn func(store.AuditEvent) error) error {
	rows, err := s.readRows(ctx, `SELECT `+auditColumns+` FROM audit_events WHERE seq > ? ORDER BY seq`, after)
	if err != nil {
		return fmt.Errorf("walk audit chain: %w", err)
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
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("walk audit chain: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("walk audit chain: %w", err)
	}
	return nil
}

// pruneBatch is how many events one write of PruneAudit deletes at most: the flows' writes wait
// while it holds the writer.
const pruneBatch = 5000

// PruneAudit deletes the events older than before, in writes of at most pruneBatch events, each
// moving the anchor to the last chained event it deletes (see store.Audit).
func (s *Store) PruneAudit(ctx context.Context, before time.Time) (int64, error) {
	cut := micros(before)
	before = asStored(before)
	chained, err := s.inBatches(ctx, func(c wconn) (int64, error) {
		var anchor int64
		if err := c.row(`SELECT anchor_seq FROM audit_chain WHERE id = 1`).Scan(&anchor); err != nil {
			return 0, err
		}
		var last sql.NullInt64
		if err := c.row(`SELECT max(seq) FROM (SELECT seq FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?)
			WHERE seq < COALESCE((SELECT min(seq) FROM audit_events WHERE seq > ? AND at >= ?), 9223372036854775807)`,
			anchor, pruneBatch, anchor, cut).Scan(&last); err != nil {
			return 0, err
		}
		if !last.Valid {
			return 0, nil
		}
		var hash []byte
		if err := c.row(`SELECT hash FROM audit_events WHERE seq = ?`, last.Int64).Scan(&hash); err != nil {
			return 0, err
		}
		if _, err := c.exec(`UPDATE audit_chain SET anchor_seq = ?, anchor_hash = ?, anchor_before = ?, anchor_mac = ? WHERE id = 1`,
			last.Int64, hash, cut, audit.AnchorMAC(s.auditKey, last.Int64, hash, before)); err != nil {
			return 0, err
		}
		res, err := c.exec(`DELETE FROM audit_events WHERE seq > ? AND seq <= ?`, anchor, last.Int64)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	})
	if err != nil {
		return chained, fmt.Errorf("prune audit: %w", err)
	}
	legacy, err := s.inBatches(ctx, func(c wconn) (int64, error) {
		res, err := c.exec(`DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events
			WHERE seq IS NULL AND id <= (SELECT legacy_max_id FROM audit_chain) AND at < ? LIMIT ?)`, cut, pruneBatch)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	})
	if err != nil {
		return chained + legacy, fmt.Errorf("prune audit: events from before the chain: %w", err)
	}
	return chained + legacy, nil
}

// inBatches runs batch, one write each time, until it deletes fewer than pruneBatch rows, and
// returns how many it deleted.
func (s *Store) inBatches(ctx context.Context, batch func(c wconn) (int64, error)) (int64, error) {
	var total int64
	for {
		var n int64
		err := s.wr.writeMany(ctx, func(c wconn) (err error) {
			n, err = batch(c)
			return err
		})
		if err != nil {
			return total, err
		}
		if total += n; n < pruneBatch {
			return total, nil
		}
	}
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
