package store

import (
	"context"
	"log/slog"
	"time"
)

// Leader is implemented by a store that several sspr instances share (PostgreSQL): Lead runs
// job only while this instance holds the lease called name, so that a scheduled job (the
// directory sync, housekeeping) runs on one instance at a time. A store that one process
// owns (SQLite) does not implement it: the process is always the leader.
type Leader interface {
	// Lead blocks until ctx ends. It tries to take the lease every retry; holding it, it runs
	// job with a context that ends when ctx ends or the lease is lost, and releases the
	// lease when job returns. Trouble with the lease (a lost connection) goes to log; it
	// returns an error only for a name it cannot use.
	Lead(ctx context.Context, name string, retry time.Duration, log *slog.Logger, job func(ctx context.Context)) error
}

// Lead runs job under s's lease called name when s is a Leader, and at once otherwise.
func Lead(ctx context.Context, s any, name string, retry time.Duration, log *slog.Logger, job func(ctx context.Context)) error {
	if l, ok := s.(Leader); ok {
		return l.Lead(ctx, name, retry, log, job)
	}
	job(ctx)
	return nil
}
