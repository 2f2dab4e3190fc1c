package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// maxBatch bounds how many small writes one group commit takes.
const maxBatch = 256

// errClosed: the store was closed.
var errClosed = errors.New("store closed")

// Statements of the combiner's transactions.
const (
	qBegin     = `BEGIN IMMEDIATE`
	qCommit    = `COMMIT`
	qRollback  = `ROLLBACK`
	qSavepoint = `SAVEPOINT w`
	qRelease   = `RELEASE w`
	qUndo      = `ROLLBACK TO w`
)

// writer owns the one writer connection, which the Store keeps checked out of its pool for its
// whole life, so that statements prepared on it once serve every later transaction. Whoever holds
// the lock uses the connection: the combiner for one group commit, a SyncTx or an Update for its
// whole transaction.
//
// The small writes of the flows are group-committed by flat combining: a caller queues its write
// and waits for either its outcome or the lock. The caller that gets the lock is the combiner: it
// takes every queued write (up to maxBatch), runs them in one transaction (a write of several
// statements in its own savepoint) so that a failing write leaves the others, commits, answers
// each caller, and goes on until its own write is answered. A caller returns only once its write
// is committed (or failed). One BEGIN/COMMIT for many writes instead of one per write is what
// makes the writes of concurrent web requests cheap, and a write that finds the connection free
// runs at once on its caller's goroutine, with no hand-off to another goroutine (which, on busy
// CPUs, waits its turn to run). The writes still run one after the other on one connection, so
// each sees the ones before it (Hit's counts, CountAttempt, claims). Writes queue while a SyncTx
// or an Update holds the connection, and the combiner after it takes them at once.
type writer struct {
	db   *sql.DB
	lock chan struct{} // holds a value while someone has the connection

	// mu guards conn against Close; the lock holder alone changes it, under mu.
	mu    sync.Mutex
	conn  *sql.Conn
	stmts map[string]*sql.Stmt // prepared on conn; used by the lock holder

	qmu    sync.Mutex
	queue  []*op // waiting for a combiner
	spare  []*op // the previous queue's array, for reuse
	closed bool

	// batches is read-locked by a combiner while it runs batches, write-locked by Close.
	batches sync.RWMutex

	// commits is the commit log (commits.go); nil while Open migrates.
	commits *commitLog
	// path is the database file's, for errors that say which file system failed.
	path string
}

func newWriter(db *sql.DB) *writer {
	return &writer{db: db, lock: make(chan struct{}, 1), stmts: map[string]*sql.Stmt{}}
}

// acquire takes the writer connection, waiting until ctx is done.
func (w *writer) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case w.lock <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	if w.isClosed() {
		w.release()
		return errClosed
	}
	return nil
}

func (w *writer) release() { <-w.lock }

func (w *writer) isClosed() bool {
	w.qmu.Lock()
	defer w.qmu.Unlock()
	return w.closed
}

// connection returns the writer connection, taking it from the pool if needed. Lock held.
func (w *writer) connection(ctx context.Context) (*sql.Conn, error) {
	if w.conn != nil {
		return w.conn, nil
	}
	c, err := w.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	w.conn = c
	w.mu.Unlock()
	return c, nil
}

// stmt returns q prepared on the writer connection, preparing it at first use. Lock held.
func (w *writer) stmt(q string) (*sql.Stmt, error) {
	if st, ok := w.stmts[q]; ok {
		return st, nil
	}
	c, err := w.connection(context.Background())
	if err != nil {
		return nil, err
	}
	st, err := c.PrepareContext(context.Background(), q)
	if err != nil {
		return nil, err
	}
	w.stmts[q] = st
	return st, nil
}

// discard closes the writer connection for good (it may be inside a transaction that could not
// be ended); the next use takes a new one. Lock held.
func (w *writer) discard() {
	for q, st := range w.stmts {
		st.Close()
		delete(w.stmts, q)
	}
	if w.conn == nil {
		return
	}
	w.conn.Raw(func(any) error { return driver.ErrBadConn })
	w.conn.Close()
	w.mu.Lock()
	w.conn = nil
	w.mu.Unlock()
}

// exec runs q on the writer connection without a context: a statement of the writer is not
// interrupted half-way (it would end the transaction of every write in it). Lock held.
func (w *writer) exec(q string, args ...any) (sql.Result, error) {
	st, err := w.stmt(q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(context.Background(), args...)
}

// close fails the writes still queued, after the batch running if any, and closes the writer
// connection: a SyncTx or Update still open is rolled back by SQLite, and its next statement fails.
func (w *writer) close() error {
	w.qmu.Lock()
	already := w.closed
	w.closed = true
	w.qmu.Unlock()
	if already {
		return nil
	}
	w.batches.Lock()
	w.failQueued(errClosed)
	w.mu.Lock()
	c := w.conn
	w.mu.Unlock()
	w.batches.Unlock()
	// The statements prepared on the connection hold it: database/sql would not close it (nor
	// SQLite checkpoint the WAL into the database and remove it) while they are open. A SyncTx or
	// Update still open has the connection: its statements stay, and the connection with them.
	select {
	case w.lock <- struct{}{}:
		for q, st := range w.stmts {
			st.Close()
			delete(w.stmts, q)
		}
		w.release()
	default:
	}
	if c != nil {
		if err := c.Close(); err != nil && !errors.Is(err, sql.ErrConnDone) {
			return err
		}
	}
	return nil
}

// wconn runs a write's statements on the writer connection, inside the combiner's transaction.
type wconn struct{ w *writer }

func (c wconn) exec(q string, args ...any) (sql.Result, error) { return c.w.exec(q, args...) }

// row runs a statement that returns at most one row.
func (c wconn) row(q string, args ...any) scanner {
	st, err := c.w.stmt(q)
	if err != nil {
		return errScanner{err}
	}
	return st.QueryRowContext(context.Background(), args...)
}

// rows runs a statement that returns rows; the caller closes them before returning.
func (c wconn) rows(q string, args ...any) (*sql.Rows, error) {
	st, err := c.w.stmt(q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(context.Background(), args...)
}

// errScanner is a row that could not be read.
type errScanner struct{ err error }

func (e errScanner) Scan(...any) error { return e.err }

// op is one queued write.
type op struct {
	fn    func(wconn) error
	many  bool // fn may change the database with several statements: it runs in a savepoint
	state atomic.Int32
	done  chan error // gets the write's outcome, once
}

const (
	opWaiting   int32 = iota + 1 // queued; the caller may still leave
	opTaken                      // the combiner runs it: the caller waits for the outcome
	opAbandoned                  // the caller left (its context ended): not run
)

// claim reports whether the combiner may run o: the caller has not left.
func (o *op) claim() bool {
	return o.state.CompareAndSwap(opWaiting, opTaken) || o.state.Load() == opTaken
}

// write runs fn in the next group commit and returns its error, or the commit's. fn changes the
// database with at most one statement, and returns an error only when that statement failed or
// changed nothing (its other statements only read): then SQLite has undone the statement by
// itself, or the combiner rolls the whole transaction back (see runTx). fn may run more than once
// (after such a roll back), and runs on the combiner's goroutine with the writer connection; what
// it writes to the caller's variables is visible to the caller once write returns.
//
// ctx is honoured while the write waits for its turn: once a combiner took it, write waits for
// the outcome (a matter of microseconds, or of a group commit).
func (w *writer) write(ctx context.Context, fn func(wconn) error) error {
	return w.submit(ctx, &op{fn: fn})
}

// writeMany is write for an fn that changes the database with several statements: it runs in a
// savepoint, rolled back when fn returns an error, so that the write is all or nothing.
func (w *writer) writeMany(ctx context.Context, fn func(wconn) error) error {
	return w.submit(ctx, &op{fn: fn, many: true})
}

func (w *writer) submit(ctx context.Context, o *op) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	o.done = make(chan error, 1)
	o.state.Store(opWaiting)
	w.qmu.Lock()
	if w.closed {
		w.qmu.Unlock()
		return errClosed
	}
	w.queue = append(w.queue, o)
	w.qmu.Unlock()
	var err error
wait:
	for {
		select {
		case err = <-o.done:
			break wait
		case w.lock <- struct{}{}:
			func() {
				defer w.release()
				w.combine(o)
			}()
		case <-ctx.Done():
			if o.state.CompareAndSwap(opWaiting, opAbandoned) {
				return ctx.Err()
			}
			err = <-o.done
			break wait
		}
	}
	if p, ok := err.(panicked); ok {
		panic(p.v)
	}
	return err
}

// panicked is the panic of a write's fn, recovered on the combiner's goroutine (after which its
// transaction is rolled back) and raised again on the caller's.
type panicked struct{ v any }

func (p panicked) Error() string { return fmt.Sprintf("panic: %v", p.v) }

// call runs o's fn, recovering a panic.
func (o *op) call(c wconn) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = panicked{v}
		}
	}()
	return o.fn(c)
}

// take removes up to maxBatch writes from the queue.
func (w *writer) take() []*op {
	w.qmu.Lock()
	defer w.qmu.Unlock()
	if len(w.queue) <= maxBatch {
		b := w.queue
		w.queue, w.spare = w.spare[:0], nil
		return b
	}
	b := make([]*op, maxBatch)
	copy(b, w.queue)
	n := copy(w.queue, w.queue[maxBatch:])
	clear(w.queue[n:])
	w.queue = w.queue[:n]
	return b
}

// recycle gives a batch's array back to take.
func (w *writer) recycle(b []*op) {
	clear(b)
	w.qmu.Lock()
	if w.spare == nil && cap(b) <= 4*maxBatch {
		w.spare = b[:0]
	}
	w.qmu.Unlock()
}

// failQueued answers every queued write with err. No batch runs.
func (w *writer) failQueued(err error) {
	for _, o := range w.take() {
		if o.claim() {
			o.done <- err
		}
	}
	w.qmu.Lock()
	n := len(w.queue)
	w.qmu.Unlock()
	if n > 0 {
		w.failQueued(err)
	}
}

// combine runs batches of the queued writes until o is answered (o's caller got the lock, and
// the batch that holds o may come after others). Lock held.
func (w *writer) combine(o *op) {
	w.batches.RLock()
	defer w.batches.RUnlock()
	if w.isClosed() {
		return // close answers the queued writes
	}
	for len(o.done) == 0 {
		b := w.take()
		if len(b) == 0 {
			return
		}
		for pending := b; len(pending) > 0; {
			pending = w.runTx(pending)
		}
		w.recycle(b)
	}
}

// runTx runs ops in one transaction and answers them. After a failure that may have ended the
// transaction (anything but a failure SQLite undid by itself, within the write's savepoint), the
// failing write gets its error, the transaction is rolled back and runTx returns the writes to run
// again in a new one: those it had run before, and those it had not reached.
func (w *writer) runTx(ops []*op) (again []*op) {
	if _, err := w.exec(qBegin); err != nil {
		if !isBusy(err) {
			w.discard()
		}
		err = w.explain(err)
		for _, o := range ops {
			if o.claim() {
				o.done <- fmt.Errorf("begin: %w", err)
			}
		}
		return nil
	}
	ran := make([]*op, 0, len(ops))
	for i, o := range ops {
		if !o.claim() {
			continue
		}
		ok, err := w.runOne(o)
		if err != nil {
			o.done <- w.explain(err)
			w.rollback()
			return append(ran, ops[i+1:]...)
		}
		if ok {
			ran = append(ran, o)
		}
	}
	if err := w.commit(len(ran) > 0); err != nil {
		w.rollback()
		err = w.explain(err)
		for _, o := range ran {
			o.done <- fmt.Errorf("commit: %w", err)
		}
		return nil
	}
	for _, o := range ran {
		o.done <- nil
	}
	return nil
}

// runOne runs o and reports whether it succeeded: its write waits for the commit. A write that
// failed with the transaction still usable is answered here; an error returned means the
// transaction must be rolled back (o is not answered yet).
func (w *writer) runOne(o *op) (ok bool, fatal error) {
	if !o.many {
		err := o.call(wconn{w})
		if err == nil {
			return true, nil
		}
		// An SQLite error other than a constraint's may have ended the transaction, and a panic
		// may have left anything; any other error (a constraint, ErrNotFound, no rows) means the
		// write changed nothing.
		if _, ok := err.(panicked); ok || sqliteCode(err) != 0 && !isConstraint(err) {
			return false, err
		}
		o.done <- err
		return false, nil
	}
	if _, err := w.exec(qSavepoint); err != nil {
		return false, err
	}
	err := o.call(wconn{w})
	if err == nil {
		if _, err := w.exec(qRelease); err != nil {
			return false, err
		}
		return true, nil
	}
	if _, uerr := w.exec(qUndo); uerr != nil {
		return false, err
	}
	if _, rerr := w.exec(qRelease); rerr != nil {
		return false, err
	}
	o.done <- err
	return false, nil
}

// commit ends the lock holder's transaction. A transaction that changed something is counted in
// store_commits first and, once committed, in the commit log (commits.go). Lock held.
func (w *writer) commit(changed bool) error {
	var n int64
	if changed && w.commits != nil {
		st, err := w.stmt(qCountCommit)
		if err != nil {
			return err
		}
		if err := st.QueryRowContext(context.Background()).Scan(&n); err != nil {
			return fmt.Errorf("count commit: %w", err)
		}
	}
	if _, err := w.exec(qCommit); err != nil {
		return err
	}
	if n > 0 {
		// A failed write of the log costs only the detection of a loss of this commit.
		_ = w.commits.record(n)
	}
	return nil
}

// explain says which file system failed, and whether it is full, for an I/O error (files.go).
func (w *writer) explain(err error) error {
	if w.path == "" {
		return err
	}
	return explain(w.path, err)
}

// rollback ends the combiner's transaction; the connection is discarded if that fails for another
// reason than there being no transaction (SQLite may have rolled it back already).
func (w *writer) rollback() {
	if _, err := w.exec(qRollback); err != nil && !isNoTransaction(err) {
		w.discard()
	}
}

// isNoTransaction: ROLLBACK found no transaction to end (SQLite already rolled it back).
func isNoTransaction(err error) bool {
	return sqliteCode(err) == 1 // SQLITE_ERROR: "cannot rollback - no transaction is active"
}
