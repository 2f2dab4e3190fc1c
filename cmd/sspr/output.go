package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"

	"github.com/sspr/sspr/internal/userview"
)

// format is an -o value.
type format string

const (
	formatTable format = "table"
	formatJSON  format = "json"
	formatCSV   format = "csv"
)

func parseFormat(s string, allowed ...format) (format, error) {
	names := make([]string, len(allowed))
	for i, f := range allowed {
		if string(f) == s {
			return f, nil
		}
		names[i] = string(f)
	}
	return "", usagef("-o %s: use %s", s, strings.Join(names, ", "))
}

// rowWriter writes rows as an aligned table or CSV, streaming.
type rowWriter interface {
	Write(row []string) error
	Flush() error
}

func newRowWriter(w io.Writer, f format, header []string) (rowWriter, error) {
	var rw rowWriter
	switch f {
	case formatCSV:
		rw = &csvRows{w: csv.NewWriter(w)}
	default:
		rw = &tableRows{tw: tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)}
	}
	return rw, rw.Write(header)
}

type csvRows struct{ w *csv.Writer }

func (c *csvRows) Write(row []string) error {
	safe := make([]string, len(row))
	for i, v := range row {
		safe[i] = userview.CSVCell(v) // read back by admin.ReadCSV
	}
	return c.w.Write(safe)
}
func (c *csvRows) Flush() error { c.w.Flush(); return c.w.Error() }

type tableRows struct{ tw *tabwriter.Writer }

func (t *tableRows) Write(row []string) error {
	cells := make([]string, len(row))
	for i, v := range row {
		cells[i] = printable(v)
		if cells[i] == "" {
			cells[i] = "-"
		}
	}
	_, err := fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
	return err
}
func (t *tableRows) Flush() error { return t.tw.Flush() }

// printable is v as a table cell on a terminal: tabs and line breaks become spaces, and every
// other control character is written as an escape (ESC as \x1b), so that a value read from the
// directory cannot move the cursor, retitle the window or hide text (terminal escape sequences).
func printable(v string) string {
	if strings.IndexFunc(v, unicode.IsControl) < 0 && utf8.ValidString(v) {
		return v
	}
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(v, "\uFFFD") {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case r < 0x100 && unicode.IsControl(r):
			fmt.Fprintf(&b, "\\x%02x", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// jsonArray streams a JSON array, one element at a time.
type jsonArray struct {
	w     io.Writer
	count int
}

func (a *jsonArray) Add(v any) error {
	b, err := json.MarshalIndent(v, "  ", "  ")
	if err != nil {
		return err
	}
	sep := ",\n  "
	if a.count == 0 {
		sep = "[\n  "
	}
	a.count++
	_, err = fmt.Fprintf(a.w, "%s%s", sep, b)
	return err
}

func (a *jsonArray) Close() error {
	if a.count == 0 {
		_, err := fmt.Fprintln(a.w, "[]")
		return err
	}
	_, err := fmt.Fprintln(a.w, "\n]")
	return err
}
