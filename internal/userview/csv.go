package userview

import "strings"

// formulaStarts are the first characters that make a spreadsheet read a CSV cell as a formula
// (= + - @, tab, carriage return), and the quote that protects a cell: a cell that starts with a
// quote is quoted too, so that reading it back is never ambiguous.
const formulaStarts = "=+-@\t\r'"

// CSVCell defuses spreadsheet formula injection in a CSV cell: a value that starts with = + - @,
// tab, carriage return or a quote gets a leading quote, which a spreadsheet takes as "text" and
// does not show. A phone number (+ then digits and spaces) cannot form a formula and is kept as
// it is. FromCSVCell undoes it: FromCSVCell(CSVCell(v)) == v for every v, so that an export
// imported again changes nothing.
func CSVCell(v string) string {
	if v == "" || strings.IndexByte(formulaStarts, v[0]) < 0 {
		return v
	}
	if v[0] == '+' && len(v) > 1 && strings.Trim(v[1:], "0123456789 ") == "" {
		return v
	}
	return "'" + v
}

// FromCSVCell reads a cell that CSVCell wrote: a quote followed by one of the characters that
// CSVCell protects is dropped. A quote before anything else (a hand-written 'text) stays.
func FromCSVCell(v string) string {
	if len(v) > 1 && v[0] == '\'' && strings.IndexByte(formulaStarts, v[1]) >= 0 {
		return v[1:]
	}
	return v
}
