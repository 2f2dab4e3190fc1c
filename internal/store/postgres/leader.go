package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sspr/sspr/internal/store"
)

var _ store.Leader = (*Store)(nil)

// leaderKeyBase puts leases in their own range of advisory lock keys ("sspr" 0x1 and a hash of
// the name), apart from migrateLockKey and syncLockKey.
const leaderKeyBase int64 = 0x7373_7072_1 << 28

// leaderKey is the advisory lock key of the lease called name.
func leaderKey(name string) int64 {
	h := fnv.New32a()
	h.Write([]byte(name))
	return leaderKeyBase | int64(h.Sum32()>>4)
}

// leaderCheck is how often the leader checks that its connection, and so its lock, is alive.
const leaderCheck = 5 * time.Second

// Lead implements store.Leader with a session-level advisory lock (pg_try_advisory_lock) on a
// connection of its own, outside the pool: the lease lasts as long as that connection, so an
// instance that dies (SIGKILL included) frees it as soon as PostgreSQL sees the connection
// close, and the next instance to try takes it within retry. The leader pings its connection
// every 5 s and stops job when the ping fails (the server may then have freed the lock).
func (s *Store) Lead(ctx context.Context, name string, retry time.Duration, log *slog.Logger, job func(ctx context.Context)) error {
	if name == "" {
		return errors.New("postgres: lead: empty lease name")
	}
	if retry <= 0 {
		retry = leaderCheck
	}
	key := leaderKey(name)
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			conn.Close(context.WithoutCancel(ctx))
		}
	}()
	for {
		var err error
		if conn == nil {
			conn, err = pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
			if err != nil {
				conn = nil
			}
		}
		if conn != nil {
			var held bool
			held, err = s.leadOnce(ctx, conn, key, job)
			if err != nil || held {
				// After a lost lease or an error the connection is not trusted: a new one.
				conn.Close(context.WithoutCancel(ctx))
				conn = nil
			}
		}
		if err != nil && ctx.Err() == nil {
			log.Warn("lease", "job", name, "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(retry):
		}
	}
}

// leadOnce tries the lock once on conn; held, it runs job until it returns or the connection
// fails, then unlocks. held reports whether job ran.
func (s *Store) leadOnce(ctx context.Context, conn *pgx.Conn, key int64, job func(ctx context.Context)) (held bool, err error) {
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&held); err != nil || !held {
		if err != nil {
			err = fmt.Errorf("lease: %w", err)
		}
		return false, err
	}
	jctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); job(jctx) }()
	t := time.NewTicker(leaderCheck)
	defer t.Stop()
	for {
		select {
		case <-done:
			uctx, ucancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer ucancel()
			if _, err := conn.Exec(uctx, `SELECT pg_advisory_unlock($1)`, key); err != nil {
				return true, fmt.Errorf("lease: unlock: %w", err)
			}
			return true, nil
		case <-t.C:
			pctx, pcancel := context.WithTimeout(ctx, leaderCheck)
			perr := conn.Ping(pctx)
			pcancel()
			if perr != nil && ctx.Err() == nil {
				cancel()
				<-done
				return true, fmt.Errorf("lease lost: %w", perr)
			}
		}
	}
}
