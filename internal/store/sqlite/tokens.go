package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sspr/sspr/internal/store"
)

const tokenColumns = `id, name, scopes, hash, created_at, last_used_at, revoked_at`

func scanToken(sc scanner) (store.Token, error) {
	var (
		t             store.Token
		scopes        string
		created       int64
		used, revoked sql.NullInt64
	)
	if err := sc.Scan(&t.ID, &t.Name, &scopes, &t.Hash, &created, &used, &revoked); err != nil {
		return store.Token{}, err
	}
	var err error
	if t.Scopes, err = decodeList(scopes); err != nil {
		return store.Token{}, fmt.Errorf("token %s: scopes: %w", t.Name, err)
	}
	t.CreatedAt, t.LastUsedAt, t.RevokedAt = fromMicros(created), timeOrNil(used), timeOrNil(revoked)
	return t, nil
}

// CreateToken stores t (a new ID when t.ID is "", CreatedAt now when zero) and sets t's ID and
// CreatedAt. ErrConflict when an unrevoked token has t.Name, or a token has t.Hash or t.ID.
func (s *Store) CreateToken(ctx context.Context, t *store.Token) error {
	switch {
	case t.Name == "":
		return errors.New("create token: empty name")
	case len(t.Hash) == 0:
		return fmt.Errorf("create token %q: empty hash", t.Name)
	}
	scopes, err := encodeList(t.Scopes)
	if err != nil {
		return fmt.Errorf("create token %q: %w", t.Name, err)
	}
	id := t.ID
	if id == "" {
		id = newID()
	}
	created := s.orNow(t.CreatedAt)
	err = s.wr.write(ctx, func(c wconn) error {
		_, err := c.exec(`INSERT INTO api_tokens (`+tokenColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			id, t.Name, scopes, t.Hash, micros(created), microsOrNil(t.LastUsedAt), microsOrNil(t.RevokedAt))
		return err
	})
	if isUniqueViolation(err) {
		return fmt.Errorf("create token %q: name in use, or same hash or id: %w", t.Name, store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create token %q: %w", t.Name, err)
	}
	t.ID, t.CreatedAt = id, created
	return nil
}

// TokenByHash finds the unrevoked token with this hash.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (store.Token, error) {
	t, err := scanToken(s.readRow(ctx,
		`SELECT `+tokenColumns+` FROM api_tokens WHERE hash = ? AND revoked_at IS NULL`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Token{}, fmt.Errorf("token by hash: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.Token{}, fmt.Errorf("token by hash: %w", err)
	}
	return t, nil
}

// TouchToken sets the token's LastUsedAt. ErrNotFound when there is no token with this ID.
func (s *Store) TouchToken(ctx context.Context, id string, at time.Time) error {
	return s.writeOne(ctx, "touch token "+id, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, micros(at), id)
}

// ListTokens returns every token, revoked ones included, oldest first.
func (s *Store) ListTokens(ctx context.Context) ([]store.Token, error) {
	rows, err := s.readRows(ctx, `SELECT `+tokenColumns+` FROM api_tokens ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var l []store.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		l = append(l, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return l, nil
}

// RevokeToken revokes the unrevoked token named name; its name may then be given to a new token.
func (s *Store) RevokeToken(ctx context.Context, name string, at time.Time) error {
	return s.writeOne(ctx, fmt.Sprintf("revoke token %q", name),
		`UPDATE api_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL`, micros(at), name)
}

// writeOne runs q, which changes one row by key, as a group-committed write: ErrNotFound when it
// changed none.
func (s *Store) writeOne(ctx context.Context, what, q string, args ...any) error {
	err := s.wr.write(ctx, func(c wconn) error {
		res, err := c.exec(q, args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// oneRow turns the outcome of a statement that changes one row by key into an error: ErrNotFound
// when it changed none.
func oneRow(res sql.Result, err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return nil
}
