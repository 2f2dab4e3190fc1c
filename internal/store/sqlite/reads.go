package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// readStmts are statements prepared once on the readers' pool: database/sql prepares each on a
// reader connection the first time it runs there and reuses it after, so SQLite parses and plans
// a query once per connection instead of once per call.
type readStmts struct {
	db *sql.DB
	m  sync.Map // query → *sql.Stmt
}

func (r *readStmts) get(q string) (*sql.Stmt, error) {
	if st, ok := r.m.Load(q); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := r.db.PrepareContext(context.Background(), q)
	if err != nil {
		return nil, err
	}
	if prev, loaded := r.m.LoadOrStore(q, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

func (r *readStmts) close() {
	r.m.Range(func(q, st any) bool {
		st.(*sql.Stmt).Close()
		r.m.Delete(q)
		return true
	})
}

// readRow runs a query that reads at most one row on the readers. ctx is checked before it, and
// the statement runs without it: it takes microseconds, and the driver would watch a cancellable
// context with a goroutine per statement. (A call may thus wait for a free reader connection
// past the end of ctx; the pool has one per CPU and reads are short.)
func (s *Store) readRow(ctx context.Context, q string, args ...any) scanner {
	if err := ctx.Err(); err != nil {
		return errScanner{err}
	}
	st, err := s.rs.get(q)
	if err != nil {
		return errScanner{err}
	}
	return st.QueryRowContext(context.Background(), args...)
}

// readRows runs a query on the readers with ctx: a listing that streams rows stops when ctx ends.
func (s *Store) readRows(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	st, err := s.rs.get(q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}
