package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/sspr/sspr/internal/store"
)

const tokenColumns = `id, name, scopes, hash, created_at, last_used_at, revoked_at`

func scanToken(row pgx.Row) (store.Token, error) {
	var t store.Token
	if err := row.Scan(&t.ID, &t.Name, &t.Scopes, &t.Hash, &t.CreatedAt, &t.LastUsedAt, &t.RevokedAt); err != nil {
		return store.Token{}, err
	}
	if len(t.Scopes) == 0 {
		t.Scopes = nil
	}
	t.CreatedAt, t.LastUsedAt, t.RevokedAt = t.CreatedAt.UTC(), utcOrNil(t.LastUsedAt), utcOrNil(t.RevokedAt)
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
	id := t.ID
	if id == "" {
		id = uuid.Must(uuid.NewV7()).String()
	}
	created := s.orNow(t.CreatedAt)
	tag, err := s.pool.Exec(ctx, `INSERT INTO api_tokens (`+tokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT DO NOTHING`,
		id, t.Name, list(t.Scopes), t.Hash, created, tsOrNil(t.LastUsedAt), tsOrNil(t.RevokedAt))
	if err != nil {
		return fmt.Errorf("create token %q: %w", t.Name, withCtx(ctx, err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("create token %q: name in use, or same hash or id: %w", t.Name, store.ErrConflict)
	}
	t.ID, t.CreatedAt = id, created
	return nil
}

// TokenByHash finds the unrevoked token with this hash.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (store.Token, error) {
	t, err := scanToken(s.pool.QueryRow(ctx,
		`SELECT `+tokenColumns+` FROM api_tokens WHERE hash = $1 AND revoked_at IS NULL`, hash))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Token{}, fmt.Errorf("token by hash: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.Token{}, fmt.Errorf("token by hash: %w", withCtx(ctx, err))
	}
	return t, nil
}

// TouchToken sets the token's LastUsedAt. ErrNotFound when there is no token with this ID.
func (s *Store) TouchToken(ctx context.Context, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, ts(at), id)
	return oneRow(ctx, tag, err, "touch token "+id)
}

// ListTokens returns every token, revoked ones included, oldest first.
func (s *Store) ListTokens(ctx context.Context) ([]store.Token, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+tokenColumns+` FROM api_tokens ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", withCtx(ctx, err))
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
		return nil, fmt.Errorf("list tokens: %w", withCtx(ctx, err))
	}
	return l, nil
}

// RevokeToken revokes the unrevoked token named name; its name may then be given to a new token.
func (s *Store) RevokeToken(ctx context.Context, name string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL`,
		ts(at), name)
	return oneRow(ctx, tag, err, fmt.Sprintf("revoke token %q", name))
}
