package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/sspr/sspr/internal/store"
)

// SyncState returns the state stored under key; ErrNotFound when there is none.
func (s *Store) SyncState(ctx context.Context, key string) (store.SyncState, error) {
	st := store.SyncState{Key: key}
	err := s.pool.QueryRow(ctx, `SELECT watermark, updated_at FROM sync_state WHERE key = $1`, key).Scan(&st.Watermark, &st.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.SyncState{}, fmt.Errorf("sync state %q: %w", key, store.ErrNotFound)
	}
	if err != nil {
		return store.SyncState{}, fmt.Errorf("sync state %q: %w", key, withCtx(ctx, err))
	}
	st.UpdatedAt = st.UpdatedAt.UTC()
	return st, nil
}

// StartRun marks runs still "running" as interrupted and records r as running; it sets r.ID,
// r.Status and, when zero, r.StartedAt.
//
// With several instances, a run another instance is still doing is marked interrupted too; its
// RecordRun (on commit) or FinishRun sets the real outcome.
func (s *Store) StartRun(ctx context.Context, r *store.SyncRun) error {
	now := ts(s.now())
	started := now
	if !r.StartedAt.IsZero() {
		started = ts(r.StartedAt)
	}
	var id int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE sync_runs SET status = $1, finished_at = $2 WHERE status = $3`,
			string(store.RunInterrupted), now, string(store.RunRunning)); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `INSERT INTO sync_runs (mode, status, started_at, added, updated, deleted, unchanged, rejected, errors)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			r.Mode, string(store.RunRunning), started, r.Added, r.Updated, r.Deleted, r.Unchanged, r.Rejected, list(r.Errors)).Scan(&id)
	})
	if err != nil {
		return fmt.Errorf("start run: %w", withCtx(ctx, err))
	}
	r.ID, r.Status, r.StartedAt = id, store.RunRunning, started
	return nil
}

// FinishRun stores r's status, counters and errors; a nil FinishedAt means now.
func (s *Store) FinishRun(ctx context.Context, r store.SyncRun) error {
	finished := s.now()
	if r.FinishedAt != nil {
		finished = *r.FinishedAt
	}
	tag, err := s.pool.Exec(ctx, qFinishRun,
		string(r.Status), ts(finished), r.Added, r.Updated, r.Deleted, r.Unchanged, r.Rejected, list(r.Errors), r.ID)
	if err != nil {
		return fmt.Errorf("finish run %d: %w", r.ID, withCtx(ctx, err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("finish run %d: %w", r.ID, store.ErrNotFound)
	}
	return nil
}

const qFinishRun = `UPDATE sync_runs SET status = $1, finished_at = $2, added = $3, updated = $4,
	deleted = $5, unchanged = $6, rejected = $7, errors = $8 WHERE id = $9`

// RecordRun stores r's outcome in the sync's transaction (FinishRun's write, kept or undone with
// the sync's changes); a nil FinishedAt means now.
func (t *syncTx) RecordRun(ctx context.Context, r store.SyncRun) error {
	if err := t.begin(ctx); err != nil { // sends the queued writes first
		return fmt.Errorf("record run %d: %w", r.ID, err)
	}
	finished := t.s.now()
	if r.FinishedAt != nil {
		finished = *r.FinishedAt
	}
	tag, err := t.tx.Exec(ctx, qFinishRun,
		string(r.Status), ts(finished), r.Added, r.Updated, r.Deleted, r.Unchanged, r.Rejected, list(r.Errors), r.ID)
	if err != nil {
		return fmt.Errorf("record run %d: %w", r.ID, t.fail(ctx, err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("record run %d: %w", r.ID, store.ErrNotFound)
	}
	return nil
}

// ListRuns returns the most recent runs, newest first; limit <= 0 means all.
func (s *Store) ListRuns(ctx context.Context, limit int) ([]store.SyncRun, error) {
	var lim *int
	if limit > 0 {
		lim = &limit
	}
	rows, err := s.pool.Query(ctx, `SELECT id, mode, status, started_at, finished_at, added, updated, deleted,
		unchanged, rejected, errors FROM sync_runs ORDER BY id DESC LIMIT $1`, lim)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", withCtx(ctx, err))
	}
	defer rows.Close()
	var runs []store.SyncRun
	for rows.Next() {
		var (
			r      store.SyncRun
			status string
		)
		if err := rows.Scan(&r.ID, &r.Mode, &status, &r.StartedAt, &r.FinishedAt, &r.Added, &r.Updated, &r.Deleted,
			&r.Unchanged, &r.Rejected, &r.Errors); err != nil {
			return nil, fmt.Errorf("list runs: %w", err)
		}
		r.Status = store.RunStatus(status)
		r.StartedAt = r.StartedAt.UTC()
		if r.FinishedAt != nil {
			t := r.FinishedAt.UTC()
			r.FinishedAt = &t
		}
		if len(r.Errors) == 0 {
			r.Errors = nil
		}
		runs = append(runs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list runs: %w", withCtx(ctx, err))
	}
	return runs, nil
}
