package phone

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Reason says why a value cannot be used as a phone number. The zero value means "no reason".
type Reason int

// Reasons. Their values are stable: a new reason goes at the end.
const (
	// Empty: the value is empty or only white space.
	Empty Reason = iota + 1
	// TooLong: more than MaxLength characters once surrounding white space is removed (or more
	// than MaxBytes bytes, refused before anything else is looked at).
	TooLong
	// InvalidCharacters: a character that is neither a digit, a leading plus, a separator
	// (space ( ) - . / and the like) nor part of an extension such as "x123".
	InvalidCharacters
	// NoCountryCode: written without a leading + and no default region is configured.
	NoCountryCode
	// NotANumber: libphonenumber cannot read it as a number (no digits, too few, too many).
	NotANumber
	// InvalidNumber: read, but not a valid number for its country according to libphonenumber's
	// metadata (wrong length, or a range no operator uses).
	InvalidNumber
	// InvalidUTF8: the value is not valid UTF-8 text.
	InvalidUTF8
	// UnknownCountryCode: the digits after + (or after the international prefix) start with no
	// country calling code in use.
	UnknownCountryCode
)

var reasonNames = [...]string{
	Empty:              "empty",
	TooLong:            "tooLong",
	InvalidCharacters:  "invalidCharacters",
	NoCountryCode:      "noCountryCode",
	NotANumber:         "notANumber",
	InvalidNumber:      "invalidNumber",
	InvalidUTF8:        "invalidUTF8",
	UnknownCountryCode: "unknownCountryCode",
}

// reasonPhrases start an Error's sentence, after the quoted value.
var reasonPhrases = [...]string{
	Empty:              "no phone number",
	TooLong:            "too long to be a phone number",
	InvalidCharacters:  "invalid character",
	NoCountryCode:      "no country code",
	NotANumber:         "not a phone number",
	InvalidNumber:      "not a valid phone number",
	InvalidUTF8:        "not valid UTF-8 text",
	UnknownCountryCode: "unknown country code",
}

// String returns the reason's lowerCamel name ("noCountryCode"), fit for reports and JSON.
func (r Reason) String() string {
	if r > 0 && int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return fmt.Sprintf("Reason(%d)", int(r))
}

// ParseReason is the inverse of Reason.String (case-insensitive); 0 for an unknown name.
func ParseReason(s string) Reason {
	for r := Empty; int(r) < len(reasonNames); r++ {
		if strings.EqualFold(s, reasonNames[r]) {
			return r
		}
	}
	return 0
}

// Error is why Normalize refused a value. Use errors.As to get it, or ReasonOf.
//
// Its Error text quotes the value as written, because it is meant for the administrator who has to
// fix the directory entry (readiness reports, sync reports). Log lines must not carry full phone
// numbers: log Redacted() instead.
type Error struct {
	Value  string // the raw value given to Normalize
	Reason Reason
	Detail string // what exactly is wrong, in words; may be empty
}

// maxQuoted is how many characters of Value an error message shows.
const maxQuoted = MaxLength

// Error returns a sentence such as
// `"4255551234": no country code: write it as +CC NUMBER or set phone.defaultRegion`.
func (e *Error) Error() string {
	return quoteValue(e.Value) + ": " + e.text()
}

// Redacted is Error with the value reduced to what Mask would show: the last digits (at most 4 and
// never more than half of them), every other digit as •, and nothing else of the value.
// It is the form to write to logs.
func (e *Error) Redacted() string {
	return `"` + maskDigits(e.Value) + `": ` + e.text()
}

// Why is the sentence without the value, for reports that show the value beside it:
// "no country code: write it as +CC NUMBER or set phone.defaultRegion".
func (e *Error) Why() string { return e.text() }

func (e *Error) text() string {
	phrase := e.Reason.String()
	if e.Reason > 0 && int(e.Reason) < len(reasonPhrases) {
		phrase = reasonPhrases[e.Reason]
	}
	if e.Detail == "" {
		return phrase
	}
	return phrase + ": " + e.Detail
}

// quoteValue quotes v as Go would (invisible and invalid bytes escaped), cut to maxQuoted
// characters.
func quoteValue(v string) string {
	if utf8.RuneCountInString(v) <= maxQuoted {
		return fmt.Sprintf("%q", v)
	}
	n := 0
	for i := range v {
		if n == maxQuoted {
			return fmt.Sprintf("%q…", v[:i])
		}
		n++
	}
	return fmt.Sprintf("%q", v) // not reached
}

// ReasonOf returns the Reason of a phone *Error in err's chain, or 0 when there is none.
func ReasonOf(err error) Reason {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Reason
	}
	return 0
}

// ErrUnknownRegion is wrapped by NewNormalizer's error for a region code libphonenumber does not know.
var ErrUnknownRegion = errors.New("unknown region code")

func newError(raw string, r Reason, detail string) error {
	return &Error{Value: raw, Reason: r, Detail: detail}
}
