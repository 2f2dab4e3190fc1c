package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestTableEscapesControlCharacters: a table cell never writes a control character to the
// terminal: terminal escapes (ESC, OSC, CSI, BEL) are shown as \xNN, tabs and line breaks as
// spaces; CSV and plain text are kept.
func TestTableEscapesControlCharacters(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Alice", "Alice"},
		{"Eve \x1b]0;owned\x07", `Eve \x1b]0;owned\x07`},
		{"\x1b[2J\x1b[H", `\x1b[2J\x1b[H`},
		{"a\u009b31mb", `a\x9b31mb`},
		{"tab\there\nnew\rline", "tab here new line"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
		{"Zoë 😀", "Zoë 😀"},
	}
	for _, tc := range tests {
		if got := printable(tc.in); got != tc.want {
			t.Errorf("printable(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	var buf bytes.Buffer
	rw, err := newRowWriter(&buf, formatTable, []string{"userPrincipalName", "displayName"})
	if err != nil {
		t.Fatal(err)
	}
	rw.Write([]string{"eve@example.com", "Eve \x1b]0;owned\x07\x1b[2J"})
	rw.Flush()
	if out := buf.String(); strings.ContainsAny(out, "\x1b\x07") || !strings.Contains(out, `Eve \x1b]0;owned\x07\x1b[2J`) {
		t.Errorf("table output:\n%q", out)
	}
}
