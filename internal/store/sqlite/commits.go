package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// ErrCommitsLost: the database holds fewer commits than were made (its write-ahead log was
// deleted or truncated, or the file was replaced by an older copy or another database). Open
// refuses it; the error's text says how to proceed.
var ErrCommitsLost = errors.New("store lost committed transactions")

// commitsSuffix names the commit log beside the database: sspr.db-commits.
const commitsSuffix = "-commits"

// Statements of the commit count.
const (
	qCountCommit = `UPDATE store_commits SET n = n + 1 WHERE id = 1 RETURNING n`
	qCommits     = `SELECT store_id, n FROM store_commits WHERE id = 1`
)

// commitLog is the file beside the database that says how many write transactions were committed
// (store_commits.n, counted by every transaction of the writer). It is written after each COMMIT,
// so it never counts more than the database holds, unless the database lost commits:
//
//   - a clean shutdown checkpoints the WAL into the database file: the counts are equal;
//   - a killed process (SIGKILL, a crash) leaves its WAL, which SQLite replays at the next open:
//     the database holds every commit the log counts (the log may count fewer: killed between
//     COMMIT and the log's write);
//   - a deleted or truncated WAL takes the commits since the last checkpoint with it, and the
//     database's count falls behind the log's: Open returns ErrCommitsLost.
//
// The log is one fixed-length line rewritten in place with one write (no process kill can leave
// half of it). Two processes on one database each write their own count: the log may then count
// fewer than the database holds, never more. Without fsync, a power failure may lose the last
// commits of the WAL (synchronous=NORMAL) as well as the log's last write; when only the WAL's are
// lost, Open reports it, truthfully.
type commitLog struct {
	path string
	id   string // store_commits.store_id

	mu   sync.Mutex
	f    *os.File
	last int64 // the count this process last wrote
}

func commitLine(id string, n int64) []byte {
	return fmt.Appendf(nil, "sspr store %s commits %020d\n", id, n)
}

// readCommitLog returns the store id and count of the log at path; ok is false when there is none.
func readCommitLog(path string) (id string, n int64, ok bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", 0, false, nil
	}
	if err != nil {
		return "", 0, false, err
	}
	if _, err := fmt.Sscanf(string(b), "sspr store %s commits %d\n", &id, &n); err != nil {
		return "", 0, false, fmt.Errorf("%s is not a commit log of sspr (%q): %w", path, b, err)
	}
	return id, n, true, nil
}

// checkCommits compares the database's commit count with the log's and opens the log. The log is
// read before the database: a commit another process counts in the log meanwhile is already in
// the database.
func checkCommits(ctx context.Context, path string, db *sql.DB) (*commitLog, error) {
	logPath := path + commitsSuffix
	logID, logN, logged, err := readCommitLog(logPath)
	if err != nil {
		return nil, fmt.Errorf("commit log: %w", err)
	}
	var id string
	var n int64
	if err := db.QueryRowContext(ctx, qCommits).Scan(&id, &n); err != nil {
		return nil, fmt.Errorf("commit count: %w", err)
	}
	if logged && (logID != id || n < logN) {
		return nil, lostError(path, logPath, logID != id, n, logN)
	}
	f, err := os.OpenFile(logPath, os.O_RDWR|os.O_CREATE, fileMode)
	if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) {
		// A user who may only read the store (a report) checked it; only writers count commits.
		return &commitLog{path: logPath, id: id}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("commit log: %w", err)
	}
	c := &commitLog{path: logPath, id: id, f: f}
	if !logged || n > logN {
		if err := c.record(n); err != nil {
			f.Close()
			return nil, fmt.Errorf("commit log: %w", err)
		}
	}
	return c, nil
}

func lostError(path, logPath string, otherDB bool, n, logN int64) error {
	base := filepath.Base(path)
	what := fmt.Sprintf("%s holds %d committed transactions, but %d were committed (%d lost). "+
		"Its write-ahead log (%s-wal) was deleted or truncated, or %s was replaced by an older copy",
		base, n, logN, logN-n, base, base)
	if otherDB {
		what = fmt.Sprintf("%s is not the database that %s counts the commits of: it was created anew "+
			"(its write-ahead log %s-wal was lost before its first checkpoint?) or replaced by another one", base, logPath, base)
	}
	return fmt.Errorf("%w: %s. Starting on it would lose recent changes and send again one-time codes and messages "+
		"already sent, so sspr does not start. Stop every sspr process, then either restore %s (and its -wal, if the "+
		"backup has one) from a backup (see \"Backups\" in the README), or, to accept the loss and start with what %s "+
		"holds, remove %s", ErrCommitsLost, what, path, base, logPath)
}

// record writes n to the log, unless this process already wrote as much.
func (c *commitLog) record(n int64) error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if n <= c.last || c.f == nil {
		return nil
	}
	if _, err := c.f.WriteAt(commitLine(c.id, n), 0); err != nil {
		return err
	}
	c.last = n
	return nil
}

func (c *commitLog) close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil {
		return nil
	}
	err := c.f.Close()
	c.f = nil
	return err
}
