package report

import (
	"fmt"
	"time"
)

// PasswordStatus says when the password expires, as of the last sync: "password expired"
// (AD's "must change at next logon" included), "password expires today", "password expires in
// N days"; "" when it never expires or the directory does not say.
func PasswordStatus(expires *time.Time, now time.Time) string {
	if expires == nil {
		return ""
	}
	d := expires.Sub(now)
	switch days := int(d / (24 * time.Hour)); {
	case d <= 0:
		return "password expired"
	case days == 0:
		return "password expires today"
	case days == 1:
		return "password expires in 1 day"
	default:
		return fmt.Sprintf("password expires in %d days", days)
	}
}

// passwordLine is explain's line for the password's expiry.
func passwordLine(expires *time.Time, now time.Time) string {
	s := PasswordStatus(expires, now)
	if s == "" {
		return "never expires, or the directory does not say (no expiry read by the last sync)"
	}
	if expires.Year() <= 1601 {
		return s + ": the user must change it at the next logon"
	}
	return s + " (" + expires.UTC().Format(time.RFC3339) + ", as of the last sync)"
}
