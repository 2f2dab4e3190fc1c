package phone

import (
	"strings"
)

// Bullet (U+2022) stands for each hidden character in masked values.
const Bullet = "•"

// masked is what Mask returns for values they cannot read.
const masked = Bullet + Bullet + Bullet

// Mask hides a canonical number ("+CC NATIONAL", as Number.Canonical) for display to a person who
// has not proved they own it: the country code stays, then one • per hidden digit, then the last
// digits: 4 of them, fewer for short national numbers (never more than half).
//
//	+1 4255551234   → +1 ••••••1234
//	+44 2079460958  → +44 ••••••0958
//	+1 555          → +1 ••5
//
// Any other input, E.164 without the space included, gives "•••".
func Mask(canonical string) string {
	rest, ok := strings.CutPrefix(canonical, "+")
	if !ok {
		return masked
	}
	cc, national, ok := strings.Cut(rest, " ")
	if !ok || len(cc) == 0 || len(cc) > 3 || !asciiDigits(cc) || len(national) == 0 || !asciiDigits(national) {
		return masked
	}
	shown := min(4, len(national)/2)
	hidden := len(national) - shown
	var b strings.Builder
	b.Grow(2 + len(cc) + hidden*len(Bullet) + shown)
	b.WriteByte('+')
	b.WriteString(cc)
	b.WriteByte(' ')
	for range hidden {
		b.WriteString(Bullet)
	}
	b.WriteString(national[hidden:])
	return b.String()
}

// maskDigits reduces any value to its digits, masked as Mask does: "+1 (425) 555-1234" →
// "••••••••1234". A value without digits gives "•••".
func maskDigits(v string) string {
	var buf [MaxLength]byte
	digits := buf[:0]
	for _, r := range v {
		if d, ok := digitValue(fold(r)); ok {
			digits = append(digits, d)
		}
	}
	if len(digits) == 0 {
		return masked
	}
	shown := min(4, len(digits)/2)
	hidden := len(digits) - shown
	// A 1 KiB run of digits (a TooLong value) shows as MaxLength bullets, not a thousand.
	return strings.Repeat(Bullet, min(hidden, MaxLength)) + string(digits[hidden:])
}

func asciiDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
