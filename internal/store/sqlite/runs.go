package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sspr/sspr/internal/store"
)

// SyncState returns the state stored under key; ErrNotFound when there is none.
func (s *Store) SyncState(ctx context.Context, key string) (store.SyncState, error) {
	st := store.SyncState{Key: key}
	var at int64
	err := s.readRow(ctx, `SELECT watermark, updated_at FROM sync_state WHERE key = ?`, key).Scan(&st.Watermark, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return store.SyncState{}, fmt.Errorf("sync state %q: %w", key, store.ErrNotFound)
	}
	if err != nil {
		return store.SyncState{}, fmt.Errorf("sync state %q: %w", key, err)
	}
	st.UpdatedAt = fromMicros(at)
	return st, nil
}

// StartRun marks runs still "running" as interrupted and records r as running; it sets r.ID,
// r.Status and, when zero, r.StartedAt.
func (s *Store) StartRun(ctx context.Context, r *store.SyncRun) error {
	now := s.now().UTC().Truncate(time.Microsecond)
	started := r.StartedAt
	if started.IsZero() {
		started = now
	}
	errs, err := encodeList(r.Errors)
	if err != nil {
		return fmt.Errorf("start run: %w", err)
	}
	var id int64
	err = s.wr.writeMany(ctx, func(c wconn) error {
		if _, err := c.exec(`UPDATE sync_runs SET status = ?, finished_at = ? WHERE status = ?`,
			string(store.RunInterrupted), micros(now), string(store.RunRunning)); err != nil {
			return err
		}
		res, err := c.exec(`INSERT INTO sync_runs (mode, status, started_at, added, updated, deleted, unchanged, rejected, errors)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.Mode, string(store.RunRunning), micros(started), r.Added, r.Updated, r.Deleted, r.Unchanged, r.Rejected, errs)
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return fmt.Errorf("start run: %w", err)
	}
	r.ID, r.Status, r.StartedAt = id, store.RunRunning, started.UTC().Truncate(time.Microsecond)
	return nil
}

// FinishRun stores r's status, counters and errors; a nil FinishedAt means now.
func (s *Store) FinishRun(ctx context.Context, r store.SyncRun) error {
	finished := s.now()
	if r.FinishedAt != nil {
		finished = *r.FinishedAt
	}
	errs, err := encodeList(r.Errors)
	if err != nil {
		return fmt.Errorf("finish run %d: %w", r.ID, err)
	}
	return s.writeOne(ctx, fmt.Sprintf("finish run %d", r.ID), qFinishRun,
		string(r.Status), micros(finished), r.Added, r.Updated, r.Deleted, r.Unchanged, r.Rejected, errs, r.ID)
}

const qFinishRun = `UPDATE sync_runs SET status = ?, finished_at = ?, added = ?, updated = ?,
	deleted = ?, unchanged = ?, rejected = ?, errors = ? WHERE id = ?`

// RecordRun stores r's outcome in the sync's transaction (FinishRun's write, kept or undone with
// the sync's changes); a nil FinishedAt means now.
func (t *syncTx) RecordRun(ctx context.Context, r store.SyncRun) error {
	ctx, err := t.short(ctx)
	if err != nil {
		return fmt.Errorf("record run %d: %w", r.ID, err)
	}
	finished := t.s.now()
	if r.FinishedAt != nil {
		finished = *r.FinishedAt
	}
	errs, err := encodeList(r.Errors)
	if err != nil {
		return fmt.Errorf("record run %d: %w", r.ID, err)
	}
	st, err := t.stmt(qFinishRun)
	if err != nil {
		return fmt.Errorf("record run %d: %w", r.ID, err)
	}
	res, err := st.ExecContext(ctx, string(r.Status), micros(finished), r.Added, r.Updated, r.Deleted, r.Unchanged, r.Rejected, errs, r.ID)
	if err != nil {
		return fmt.Errorf("record run %d: %w", r.ID, t.fail(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("record run %d: %w", r.ID, t.fail(err))
	} else if n == 0 {
		return fmt.Errorf("record run %d: %w", r.ID, store.ErrNotFound)
	}
	return nil
}

// ListRuns returns the most recent runs, newest first; limit <= 0 means all.
func (s *Store) ListRuns(ctx context.Context, limit int) ([]store.SyncRun, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := s.readRows(ctx, `SELECT id, mode, status, started_at, finished_at, added, updated, deleted,
		unchanged, rejected, errors FROM sync_runs ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	defer rows.Close()
	var runs []store.SyncRun
	for rows.Next() {
		var (
			r        store.SyncRun
			status   string
			started  int64
			finished sql.NullInt64
			errs     string
		)
		if err := rows.Scan(&r.ID, &r.Mode, &status, &started, &finished, &r.Added, &r.Updated, &r.Deleted,
			&r.Unchanged, &r.Rejected, &errs); err != nil {
			return nil, fmt.Errorf("list runs: %w", err)
		}
		r.Status = store.RunStatus(status)
		r.StartedAt = fromMicros(started)
		if finished.Valid {
			t := fromMicros(finished.Int64)
			r.FinishedAt = &t
		}
		if r.Errors, err = decodeList(errs); err != nil {
			return nil, fmt.Errorf("list runs: run %d: errors: %w", r.ID, err)
		}
		runs = append(runs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return runs, nil
}
