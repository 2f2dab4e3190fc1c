package userview

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
)

// TestCSVCellRoundTrip: a value written by CSVCell and read by FromCSVCell is the value, for every
// value the export may hold, including those that start like a protected cell; and no written cell
// starts with a formula character (unless a plain phone number).
func TestCSVCellRoundTrip(t *testing.T) {
	values := []string{
		"", "x", "'", "''", "'x", "'tis", "'=x", "''=x", "'+1 4255550100", "'-", "'@", "'\t", "'\r",
		"=x", "=", "+", "-", "@", "\t", "\r", "\tx", "\rx", "=SUM(A1)", "-2+3", "@cmd", "+x", "+1 4255550100",
		"+14255550100", "+ ", "=cmd|' /C calc'!A0", "a=b", " =x", "\n=x", "x\r\ny", `"=x"`, "''''",
	}
	// Every one- and two-character string over the interesting bytes.
	const alphabet = "=+-@\t\r' x1\""
	for _, a := range alphabet {
		values = append(values, string(a))
		for _, b := range alphabet {
			values = append(values, string(a)+string(b))
		}
	}
	for _, v := range values {
		w := CSVCell(v)
		if got := FromCSVCell(w); got != v {
			t.Errorf("FromCSVCell(CSVCell(%q)) = %q (written %q)", v, got, w)
		}
		if w != "" && strings.IndexByte("=+-@\t\r", w[0]) >= 0 && !(w[0] == '+' && strings.Trim(w[1:], "0123456789 ") == "" && len(w) > 1) {
			t.Errorf("CSVCell(%q) = %q starts like a formula", v, w)
		}
		// Through an actual CSV file too.
		var buf bytes.Buffer
		cw := csv.NewWriter(&buf)
		cw.Write([]string{CSVCell(v), "end"})
		cw.Flush()
		rec, err := csv.NewReader(&buf).Read()
		if err != nil || len(rec) != 2 || FromCSVCell(rec[0]) != strings.ReplaceAll(v, "\r\n", "\n") {
			t.Errorf("CSV round trip of %q: %q, %v", v, rec, err)
		}
	}
}
