package storecopy

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/sspr/sspr/internal/store/postgres"
	"github.com/sspr/sspr/internal/store/sqlite"
)

// ErrNotEmpty: the target store holds rows and Options.Force was not given.
var ErrNotEmpty = errors.New("target store is not empty")

// ErrCountMismatch: a table of the target does not hold as many rows as the source's after the
// copy; nothing was committed.
var ErrCountMismatch = errors.New("row counts differ after the copy")

// Options changes how a copy runs.
type Options struct {
	// Force empties the copied tables of a target that holds rows, instead of refusing it.
	Force bool
	// Progress, when set, is called after each table with its name and the rows copied.
	Progress func(table string, rows int64)
}

// Count is one table's rows on each side after a copy.
type Count struct {
	Table          string
	Source, Target int64
	Duration       time.Duration // reading, writing and counting the table
}

// Result says what a copy moved.
type Result struct {
	Tables   []Count
	Duration time.Duration
}

// kind is how a column's SQLite value becomes its PostgreSQL value.
type kind int

const (
	kText      kind = iota // TEXT → text
	kInt                   // INTEGER → integer/bigint
	kIntNull               // the same, NULL allowed
	kBool                  // INTEGER 0/1 → boolean
	kTime                  // INTEGER µs since the epoch → timestamptz
	kTimeNull              // the same, NULL allowed
	kUUID                  // TEXT → uuid
	kUUIDNull              // TEXT or NULL → uuid or NULL
	kBytes                 // BLOB NOT NULL → bytea ('' for an empty or NULL blob)
	kBytesNull             // BLOB or NULL → bytea or NULL
	kList                  // TEXT JSON array → text[]
	kJSON                  // TEXT JSON → jsonb
)

type column struct {
	name string
	kind kind
}

type table struct {
	name     string
	columns  []column
	identity bool // id is a PostgreSQL identity column: its sequence is moved past the copied ids
	// replace: the migrations write the table's rows (audit_chain's one row): the target's
	// rows do not make it "not empty", and the source's replace them.
	replace bool
}

func cols(spec string) []column {
	kinds := map[string]kind{"text": kText, "int": kInt, "int?": kIntNull, "bool": kBool, "time": kTime, "time?": kTimeNull,
		"uuid": kUUID, "uuid?": kUUIDNull, "bytes": kBytes, "bytes?": kBytesNull, "list": kList, "json": kJSON}
	var out []column
	for _, f := range strings.Fields(spec) {
		name, k, _ := strings.Cut(f, ":")
		kd, ok := kinds[k]
		if !ok {
			panic("storecopy: unknown kind " + k)
		}
		out = append(out, column{name, kd})
	}
	return out
}

// tables are copied in this order (a row's foreign keys point to rows of earlier tables).
var tables = []table{
	{name: "users", columns: cols(`id:uuid source:text anchor:bytes? dn:text user_principal_name:text upn_key:text
		display_name:text display_name_key:text
		mobile_phone_raw:text mobile_phone_number:text mobile_phone_type:text mobile_phone_problem:text
		office_phone_raw:text office_phone_number:text office_phone_type:text office_phone_problem:text
		alternate_emails:list account_enabled:bool privileged:bool authentication_phone:text authentication_email:text
		directory_fields:list directory_mobile_phone:text mobile_phone_overridden:bool fingerprint:int
		security_questions_count:int security_questions_registered_at:time? version:int created_at:time updated_at:time
		password_expires_at:time? preferred_language:text`)},
	{name: "security_answers", columns: cols(`user_id:uuid position:int question_key:text hash:text`)},
	{name: "password_reminders", columns: cols(`user_id:uuid expires_at:time threshold:int sent_at:time`)},
	{name: "readiness_snapshots", columns: cols(`day:text taken_at:time users:int enabled:int ready:int not_ready:int
		registered:int by_method:json reasons:json`)},
	{name: "audit_daily", columns: cols(`day:text flow:text outcome:text method:text count:int`)},
	{name: "audit_daily_days", columns: cols(`day:text counted_at:time`)},
	{name: "sync_state", columns: cols(`key:text watermark:text updated_at:time`)},
	{name: "sync_runs", identity: true, columns: cols(`id:int mode:text status:text started_at:time finished_at:time?
		added:int updated:int deleted:int unchanged:int rejected:int errors:json`)},
	{name: "audit_events", identity: true, columns: cols(`id:int at:time type:text actor:text user_id:text
		user_principal_name:text upn_key:text client_ip:text user_agent:text details:json seq:int? hash:bytes?`)},
	{name: "audit_chain", replace: true, columns: cols(`id:int head_seq:int head_hash:bytes anchor_seq:int anchor_hash:bytes
		anchor_before:time? anchor_mac:bytes? legacy_max_id:int`)},
	{name: "api_tokens", columns: cols(`id:text name:text scopes:list hash:bytes created_at:time last_used_at:time? revoked_at:time?`)},
	{name: "sessions", columns: cols(`id:text kind:text user_id:uuid? state:bytes created_at:time expires_at:time version:int`)},
	{name: "codes", columns: cols(`id:text session_id:text user_id:uuid? purpose:text destination:text mac:bytes
		attempts:int max_attempts:int created_at:time expires_at:time used_at:time? retired_at:time?`)},
	{name: "throttle_events", identity: true, columns: cols(`id:int key:text at:time`)},
	{name: "throttle_locks", columns: cols(`key:text locked_until:time`)},
	{name: "outbox_messages", identity: true, columns: cols(`id:int channel:text recipient:text subject:text body:bytes
		status:text attempts:int next_attempt_at:time lease_until:time? created_at:time sent_at:time? last_error:text language:text`)},
	{name: "outbox_attempts", identity: true, columns: cols(`id:int message_id:int at:time duration_ns:int error:text`)},
}

// sqliteOnly are the SQLite tables that are not copied, and why (doc.go).
var sqliteOnly = []string{"throttle_counts", "store_commits", "schema_migrations", "sqlite_sequence"}

// SQLiteToPostgres copies the SQLite store at path (a file path) into the PostgreSQL database
// named by dsn, which must exist; both are migrated to this build's schema first. sspr should
// be stopped: what it writes to the SQLite store after the copy's snapshot is not copied.
func SQLiteToPostgres(ctx context.Context, path, dsn string, opt Options) (Result, error) {
	start := time.Now()
	if busy, err := sqlite.InUse(path); err != nil {
		return Result{}, fmt.Errorf("storecopy: source: %w", err)
	} else if busy {
		return Result{}, fmt.Errorf("storecopy: source: %w: a process has %s open; stop sspr first, or what it writes after the copy's snapshot is lost", sqlite.ErrInUse, path)
	}
	s, err := sqlite.Open(ctx, path, sqlite.MustExist())
	if err != nil {
		return Result{}, fmt.Errorf("storecopy: source: %w", err)
	}
	s.Close()
	p, err := postgres.Open(ctx, dsn)
	if err != nil {
		return Result{}, fmt.Errorf("storecopy: target: %w", err)
	}
	p.Close()

	src, err := sql.Open("sqlite", path+"?"+url.Values{"_pragma": {"query_only(1)", "busy_timeout(10000)"}}.Encode())
	if err != nil {
		return Result{}, fmt.Errorf("storecopy: source: %w", err)
	}
	defer src.Close()
	src.SetMaxOpenConns(1)
	stx, err := src.BeginTx(ctx, nil)
	if err != nil {
		return Result{}, fmt.Errorf("storecopy: source: %w", err)
	}
	defer stx.Rollback()

	dst, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return Result{}, fmt.Errorf("storecopy: target: %w", err)
	}
	defer dst.Close(context.WithoutCancel(ctx))
	dtx, err := dst.Begin(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("storecopy: target: %w", err)
	}
	defer dtx.Rollback(context.WithoutCancel(ctx))

	if err := checkSchemas(ctx, stx, dtx); err != nil {
		return Result{}, fmt.Errorf("storecopy: %w", err)
	}
	if err := prepareTarget(ctx, dtx, opt.Force); err != nil {
		return Result{}, fmt.Errorf("storecopy: target: %w", err)
	}
	var res Result
	var mismatched []string
	for _, t := range tables {
		tableStart := time.Now()
		if t.replace {
			if _, err := dtx.Exec(ctx, `DELETE FROM `+t.name); err != nil {
				return Result{}, fmt.Errorf("storecopy: %s: %w", t.name, err)
			}
		}
		n, err := copyTable(ctx, stx, dtx, t)
		if err != nil {
			return Result{}, fmt.Errorf("storecopy: %s: %w", t.name, err)
		}
		if t.identity {
			if _, err := dtx.Exec(ctx, fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%[1]s', 'id'), coalesce((SELECT max(id) FROM %[1]s), 0) + 1, false)`, t.name)); err != nil {
				return Result{}, fmt.Errorf("storecopy: %s: sequence: %w", t.name, err)
			}
		}
		c := Count{Table: t.name}
		if err := stx.QueryRowContext(ctx, `SELECT count(*) FROM `+t.name).Scan(&c.Source); err != nil {
			return Result{}, fmt.Errorf("storecopy: %s: count source: %w", t.name, err)
		}
		if err := dtx.QueryRow(ctx, `SELECT count(*) FROM `+t.name).Scan(&c.Target); err != nil {
			return Result{}, fmt.Errorf("storecopy: %s: count target: %w", t.name, err)
		}
		c.Duration = time.Since(tableStart)
		if c.Source != c.Target || c.Source != n {
			mismatched = append(mismatched, fmt.Sprintf("%s: %d in the source, %d copied, %d in the target", t.name, c.Source, n, c.Target))
		}
		if !t.replace { // the chain's row is state, not data: copied, checked, not reported
			res.Tables = append(res.Tables, c)
		}
		if opt.Progress != nil {
			opt.Progress(t.name, n)
		}
	}
	if len(mismatched) > 0 {
		return res, fmt.Errorf("storecopy: %w (nothing was committed): %s", ErrCountMismatch, strings.Join(mismatched, "; "))
	}
	if err := dtx.Commit(ctx); err != nil {
		return res, fmt.Errorf("storecopy: target: commit: %w", err)
	}
	res.Duration = time.Since(start)
	return res, nil
}

// checkSchemas refuses a copy that would leave data behind: a table both stores have that the
// copy does not know, or a column of a copied table that the copy does not know on either side.
func checkSchemas(ctx context.Context, stx *sql.Tx, dtx pgx.Tx) error {
	srcTables, err := sqliteColumns(ctx, stx)
	if err != nil {
		return fmt.Errorf("source schema: %w", err)
	}
	dstTables, err := postgresColumns(ctx, dtx)
	if err != nil {
		return fmt.Errorf("target schema: %w", err)
	}
	known := map[string][]column{}
	for _, t := range tables {
		known[t.name] = t.columns
	}
	var problems []string
	for name, sc := range srcTables {
		if slices.Contains(sqliteOnly, name) {
			continue
		}
		cs, ok := known[name]
		if !ok {
			if _, both := dstTables[name]; both {
				problems = append(problems, fmt.Sprintf("table %s is not copied by this build", name))
			}
			continue
		}
		for _, side := range []struct {
			what string
			have []string
		}{{"source", sc}, {"target", dstTables[name]}} {
			for _, c := range side.have {
				if !slices.ContainsFunc(cs, func(k column) bool { return k.name == c }) {
					problems = append(problems, fmt.Sprintf("column %s.%s of the %s is not copied by this build", name, c, side.what))
				}
			}
			for _, k := range cs {
				if !slices.Contains(side.have, k.name) {
					problems = append(problems, fmt.Sprintf("the %s has no column %s.%s", side.what, name, k.name))
				}
			}
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return fmt.Errorf("the stores' schemas do not match what this build copies: %s", strings.Join(problems, "; "))
	}
	return nil
}

func sqliteColumns(ctx context.Context, tx *sql.Tx) (map[string][]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return tableColumns(rows)
}

func postgresColumns(ctx context.Context, tx pgx.Tx) (map[string][]string, error) {
	rows, err := tx.Query(ctx, `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return tableColumns(rows)
}

// rows is what database/sql's and pgx's query results share.
type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// tableColumns reads (table, column) rows into the columns of each table.
func tableColumns(rows rows) (map[string][]string, error) {
	out := map[string][]string{}
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			return nil, err
		}
		out[t] = append(out[t], c)
	}
	return out, rows.Err()
}

// prepareTarget refuses a target with rows in any copied table, or, with force, empties them.
func prepareTarget(ctx context.Context, tx pgx.Tx, force bool) error {
	var full []string
	for _, t := range tables {
		if t.replace {
			continue
		}
		var any bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+t.name+`)`).Scan(&any); err != nil {
			return err
		}
		if any {
			full = append(full, t.name)
		}
	}
	if len(full) == 0 {
		return nil
	}
	if !force {
		return fmt.Errorf("%w: %s hold rows (--force empties them and copies anew)", ErrNotEmpty, strings.Join(full, ", "))
	}
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.name
	}
	_, err := tx.Exec(ctx, `TRUNCATE `+strings.Join(names, ", ")+` RESTART IDENTITY CASCADE`)
	return err
}

// copyTable streams t's rows from the source to the target with COPY and returns how many.
func copyTable(ctx context.Context, stx *sql.Tx, dtx pgx.Tx, t table) (int64, error) {
	names := make([]string, len(t.columns))
	for i, c := range t.columns {
		names[i] = c.name
	}
	rows, err := stx.QueryContext(ctx, `SELECT `+strings.Join(names, ", ")+` FROM `+t.name+` ORDER BY rowid`)
	if err != nil {
		return 0, fmt.Errorf("read: %w", err)
	}
	defer rows.Close()
	raw := make([]any, len(t.columns))
	ptrs := make([]any, len(t.columns))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	vals := make([]any, len(t.columns))
	var convErr error
	next := func() ([]any, error) {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("read: %w", err)
		}
		for i, c := range t.columns {
			v, err := convert(raw[i], c.kind)
			if err != nil {
				convErr = fmt.Errorf("column %s: %w", c.name, err)
				return nil, convErr
			}
			vals[i] = v
		}
		return vals, nil
	}
	n, err := dtx.CopyFrom(ctx, pgx.Identifier{t.name}, names, &rowSource{rows: rows, next: next})
	if convErr != nil {
		return n, convErr
	}
	if err != nil {
		return n, fmt.Errorf("write: %w", err)
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("read: %w", err)
	}
	return n, nil
}

// rowSource is a pgx.CopyFromSource over SQLite rows.
type rowSource struct {
	rows *sql.Rows
	next func() ([]any, error)
	vals []any
	err  error
}

func (r *rowSource) Next() bool {
	if !r.rows.Next() {
		return false
	}
	r.vals, r.err = r.next()
	return r.err == nil
}

func (r *rowSource) Values() ([]any, error) { return r.vals, r.err }
func (r *rowSource) Err() error             { return r.err }

// convert turns a value SQLite returned (int64, float64, string, []byte or nil) into what pgx
// writes to the PostgreSQL column.
func convert(v any, k kind) (any, error) {
	if v == nil {
		switch k {
		case kTimeNull, kUUIDNull, kBytesNull, kIntNull:
			return nil, nil
		case kBytes:
			return []byte{}, nil
		default:
			return nil, fmt.Errorf("NULL where the target wants a value")
		}
	}
	switch k {
	case kText, kJSON:
		switch s := v.(type) {
		case string:
			if k == kJSON && s == "" {
				return nil, fmt.Errorf("empty JSON")
			}
			return s, nil
		case []byte:
			return string(s), nil
		}
	case kInt, kIntNull, kBool, kTime, kTimeNull:
		n, ok := v.(int64)
		if !ok {
			break
		}
		switch k {
		case kBool:
			return n != 0, nil
		case kTime, kTimeNull:
			return time.UnixMicro(n).UTC(), nil
		}
		return n, nil
	case kUUID, kUUIDNull:
		s, ok := v.(string)
		if !ok {
			break
		}
		if s == "" && k == kUUIDNull {
			return nil, nil
		}
		u, err := uuid.Parse(s)
		if err != nil {
			return nil, err
		}
		return [16]byte(u), nil
	case kBytes, kBytesNull:
		switch b := v.(type) {
		case []byte:
			if b == nil {
				b = []byte{}
			}
			return b, nil
		case string:
			return []byte(b), nil
		}
	case kList:
		s, ok := v.(string)
		if !ok {
			break
		}
		var l []string
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			return nil, fmt.Errorf("not a JSON list of strings: %w", err)
		}
		if l == nil {
			l = []string{}
		}
		return l, nil
	}
	return nil, fmt.Errorf("unexpected value of type %T", v)
}
