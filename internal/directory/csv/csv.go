package csv

import (
	"bytes"
	"context"
	stdcsv "encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/sspr/sspr/internal/directory"
	"github.com/sspr/sspr/internal/directory/export"
)

// maxRecord bounds the bytes of one row (a quoted field may span lines), so that an
// unclosed quote cannot pull the rest of the file into memory.
const maxRecord = 16 << 20

// Errors of a read. A *RowError wraps ErrSyntax or ErrColumns and names the row.
var (
	// ErrSyntax: the file is not valid CSV, a row has the wrong number of fields, or the
	// file was cut short.
	ErrSyntax = errors.New("malformed CSV")
	// ErrColumns: the header lacks a column the read needs (DN, the anchor attribute, the
	// mapped userPrincipalName attribute) or repeats one.
	ErrColumns = errors.New("unusable CSV header")
	// ErrEmpty: the file holds no row after the header, which is taken as a failed export
	// rather than as a directory without users.
	ErrEmpty = errors.New("the export holds no entries")
)

// RowError is a problem at one row of the file. Row 1 is the header; Line is the line where
// the row starts (a quoted field may span lines).
type RowError struct {
	Path string
	Row  int
	Line int
	Err  error // ErrSyntax or ErrColumns
	Msg  string
}

func (e *RowError) Error() string {
	return fmt.Sprintf("%s row %d (line %d): %v: %s", e.Path, e.Row, e.Line, e.Err, e.Msg)
}

func (e *RowError) Unwrap() error { return e.Err }

// Options select the rows that are users.
type Options struct {
	// ObjectClass: a row is a user when one of its objectClass values (csvde joins them
	// with ';') equals it, case-insensitively, e.g. "user" or "inetOrgPerson". Other rows
	// (OUs, groups, contacts) are skipped silently; users that cannot be converted are
	// rejected, which keeps the stored user. A file without an objectClass column then
	// selects nothing.
	//
	// "" selects the rows with a value in the mapped userPrincipalName column. A user who
	// lost that value is then skipped rather than rejected, and the sync engine deletes
	// it: set ObjectClass in production.
	//
	// On Active Directory (any Kind but OpenLDAP) rows whose objectClass includes
	// "computer" are never users, although the computer class derives from user.
	ObjectClass string
}

// Reader reads users from a csvde-style CSV file. Every Read is a full read of the file.
type Reader struct {
	path   string
	schema directory.Schema
	opts   Options
	names  []string // attributes kept from each row
}

var _ directory.Reader = (*Reader)(nil)

// New returns a Reader of the CSV file at path. The file is opened by each Read.
func New(path string, schema directory.Schema, opts Options) *Reader {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return &Reader{path: path, schema: schema, opts: opts, names: export.Attributes(schema)}
}

// Key identifies the file, the mapping and the filter.
func (r *Reader) Key() string {
	return export.Key("csv", r.path, r.schema, r.opts.ObjectClass)
}

// Read reads the whole file, one row at a time, and reports every user in scope through
// Upsert or Reject. since is ignored: an export has no delta, so the result is always
// {Full: true, Complete: true} with no watermark. A malformed file returns an error naming
// the row, after the handler may have seen the rows before it; the caller must then
// discard the read.
func (r *Reader) Read(ctx context.Context, since string, h directory.Handler) (directory.Result, error) {
	if r.schema.Mapping.UserPrincipalName == "" {
		return directory.Result{}, errors.New("csv: the mapping names no userPrincipalName attribute")
	}
	f, err := os.Open(r.path)
	if err != nil {
		return directory.Result{}, fmt.Errorf("csv: %w", err)
	}
	defer f.Close()
	return r.read(ctx, f, h)
}

// read reads the CSV text in f.
func (r *Reader) read(ctx context.Context, f io.Reader, h directory.Handler) (directory.Result, error) {
	src := &source{r: export.TextReader(f)}
	cr := stdcsv.NewReader(src)
	cr.ReuseRecord = true
	cr.LazyQuotes = false
	cr.FieldsPerRecord = 0 // set by the header

	fail := func(row, line int, kind error, format string, args ...any) error {
		return fmt.Errorf("csv: %w", &RowError{Path: r.path, Row: row, Line: line, Err: kind, Msg: fmt.Sprintf(format, args...)})
	}
	// next returns the next row (number row), or nil at the end of the file.
	next := func(row int) ([]string, error) {
		rec, err := cr.Read()
		var pe *stdcsv.ParseError
		switch {
		case err == io.EOF:
			if src.any && src.last != '\n' {
				return nil, fail(row-1, src.lines+1, ErrSyntax, "the file ends without a line break: it was cut short (incomplete copy or export?)")
			}
			return nil, nil
		case errors.As(err, &pe) && errors.Is(pe.Err, stdcsv.ErrFieldCount):
			return nil, fail(row, pe.StartLine, ErrSyntax, "%d fields, the header has %d", len(rec), cr.FieldsPerRecord)
		case errors.As(err, &pe):
			return nil, fail(row, pe.StartLine, ErrSyntax, "line %d, column %d: %v", pe.Line, pe.Column, pe.Err)
		case errors.Is(err, errTooLong):
			return nil, fail(row, src.lines+1, ErrSyntax, "row longer than %d bytes (a quote that is never closed?)", maxRecord)
		case err != nil:
			return nil, fmt.Errorf("csv: reading %s: %w", r.path, err)
		}
		src.n = 0
		return rec, nil
	}

	header, err := next(1)
	if err != nil {
		return directory.Result{}, err
	}
	if header == nil {
		return directory.Result{}, fmt.Errorf("csv: %s: %w", r.path, ErrEmpty)
	}
	cols, msg := r.columns(header)
	if msg != "" {
		return directory.Result{}, fail(1, 1, ErrColumns, "%s", msg)
	}
	w := &row{reader: r, cols: cols, groups: make([][][]byte, len(r.names))}
	values := w.valuesFunc()
	rows := 1
	for {
		if err := ctx.Err(); err != nil {
			return directory.Result{}, fmt.Errorf("csv: reading %s: %w", r.path, err)
		}
		rec, err := next(rows + 1)
		if err != nil {
			return directory.Result{}, err
		}
		if rec == nil {
			break
		}
		rows++
		w.fill(rec)
		if !export.IsUser(r.schema, r.opts.ObjectClass, values) {
			continue
		}
		// A clone, so that a kept Record does not pin the whole row.
		record, rej := r.schema.Record(strings.Clone(rec[cols.dn]), values)
		if rej != nil {
			line, _ := cr.FieldPos(0)
			rej.Reason = fmt.Sprintf("row %d (line %d): %s", rows, line, rej.Reason)
			err = h.Reject(ctx, *rej)
		} else {
			err = h.Upsert(ctx, record)
		}
		if err != nil {
			return directory.Result{}, fmt.Errorf("csv: %s row %d: %w", r.path, rows, err)
		}
	}
	if rows == 1 {
		return directory.Result{}, fmt.Errorf("csv: %s: %w", r.path, ErrEmpty)
	}
	return directory.Result{Full: true, Complete: true}, nil
}

// columns maps the header: the DN column and, for each name in r.names, its column or -1.
type columns struct {
	dn    int
	attrs []int
	multi []bool // values split on ';'
}

// columns reads the header. It returns a message when the header cannot be used.
func (r *Reader) columns(header []string) (columns, string) {
	c := columns{dn: -1, attrs: make([]int, len(r.names)), multi: make([]bool, len(r.names))}
	for i := range c.attrs {
		c.attrs[i] = -1
	}
	dnAlt := -1
	for col, h := range header {
		name := strings.TrimSpace(h)
		if j := strings.IndexByte(name, ';'); j >= 0 {
			name = name[:j] // attribute options
		}
		switch {
		case strings.EqualFold(name, "dn"):
			if c.dn >= 0 {
				return c, "two DN columns"
			}
			c.dn = col
		case strings.EqualFold(name, "distinguishedName") && dnAlt < 0:
			dnAlt = col
		}
		for i, n := range r.names {
			if strings.EqualFold(name, n) {
				if c.attrs[i] >= 0 {
					return c, fmt.Sprintf("two %s columns (%d and %d)", n, c.attrs[i]+1, col+1)
				}
				c.attrs[i] = col
			}
		}
	}
	if c.dn < 0 {
		c.dn = dnAlt
	}
	if c.dn < 0 {
		return c, "no DN column in the first line (it must name the columns, as csvde writes it)"
	}
	for _, need := range []string{r.schema.AnchorAttribute(), r.schema.Mapping.UserPrincipalName} {
		if c.attrs[indexFold(r.names, need)] < 0 {
			return c, fmt.Sprintf("no %s column: export it too (csvde -l)", need)
		}
	}
	for i, n := range r.names {
		c.multi[i] = strings.EqualFold(n, "objectClass") || strings.EqualFold(n, r.schema.Mapping.AlternateEmails)
	}
	return c, ""
}

// row holds the kept values of the current row; they point into arena, reused by the next.
type row struct {
	reader *Reader
	cols   columns
	arena  []byte
	groups [][][]byte
}

// fill converts the fields of rec: "" is no value; X'0a1b' (csvde's binary form) is
// decoded; objectClass and the alternateEmails attribute are split on ';'.
func (w *row) fill(rec []string) {
	w.arena = w.arena[:0]
	for i, col := range w.cols.attrs {
		w.groups[i] = w.groups[i][:0]
		if col < 0 || rec[col] == "" {
			continue
		}
		field := rec[col]
		if w.cols.multi[i] {
			for v := range strings.SplitSeq(field, ";") {
				if v = strings.TrimSpace(v); v != "" {
					w.add(i, v)
				}
			}
			continue
		}
		if h, ok := hexValue(field); ok {
			start := len(w.arena)
			w.arena = append(w.arena, make([]byte, len(h)/2)...)
			if _, err := hex.Decode(w.arena[start:], []byte(h)); err == nil {
				w.groups[i] = append(w.groups[i], w.arena[start:len(w.arena):len(w.arena)])
				continue
			}
			w.arena = w.arena[:start]
		}
		w.add(i, field)
	}
}

func (w *row) add(i int, v string) {
	start := len(w.arena)
	w.arena = append(w.arena, v...)
	w.groups[i] = append(w.groups[i], w.arena[start:len(w.arena):len(w.arena)])
}

// valuesFunc returns the directory.Values of the current row. On Active Directory an
// objectGUID written as text ("{b7e88c87-1327-41a9-a765-5e3905ab5ef2}") becomes its 16 bytes.
func (w *row) valuesFunc() directory.Values {
	anchor := w.reader.schema.AnchorAttribute()
	ad := w.reader.schema.Kind != directory.OpenLDAP
	return func(attr string) [][]byte {
		if attr == "" {
			return nil
		}
		i := indexFold(w.reader.names, attr)
		if i < 0 || len(w.groups[i]) == 0 {
			return nil
		}
		v := w.groups[i]
		if ad && len(v) == 1 && strings.EqualFold(attr, anchor) {
			if b, ok := directory.ParseGUIDText(v[0]); ok {
				return [][]byte{b}
			}
		}
		return v
	}
}

// hexValue returns the hex digits of csvde's binary form X'...'.
func hexValue(f string) (string, bool) {
	if len(f) < 3 || (f[0] != 'X' && f[0] != 'x') || f[1] != '\'' || f[len(f)-1] != '\'' {
		return "", false
	}
	h := f[2 : len(f)-1]
	return h, len(h)%2 == 0
}

func indexFold(list []string, s string) int {
	for i, x := range list {
		if strings.EqualFold(x, s) {
			return i
		}
	}
	return -1
}

var errTooLong = errors.New("row too long")

// source counts what the CSV reader consumes: bytes since the last row (bounded by
// maxRecord), line breaks, and the last byte, to tell a file cut short.
type source struct {
	r     io.Reader
	n     int
	lines int
	last  byte
	any   bool // a byte was read
}

func (s *source) Read(p []byte) (int, error) {
	if s.n > maxRecord {
		return 0, errTooLong
	}
	n, err := s.r.Read(p)
	if n > 0 {
		s.n += n
		s.lines += bytes.Count(p[:n], []byte{'\n'})
		s.last, s.any = p[n-1], true
	}
	return n, err
}
