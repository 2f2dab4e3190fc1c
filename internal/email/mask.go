package email

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// masked is what Mask returns for values it cannot read: three bullets (U+2022), as the phone
// masks.
const masked = "\u2022\u2022\u2022"

// Mask hides the local part of an email address but its first character, always with
// exactly three bullets so that the length does not show: "alice@contoso.com" → "a•••@contoso.com".
// A one-character local part is hidden whole: "a@contoso.com" → "•••@contoso.com". The domain
// stays as written. Malformed input (no @, nothing before or after the last @, white space or
// control characters, invalid UTF-8) gives "•••".
func Mask(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 || !utf8.ValidString(addr) {
		return masked
	}
	for _, r := range addr {
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return masked
		}
	}
	local, domain := addr[:at], addr[at+1:]
	first, size := utf8.DecodeRuneInString(local)
	if size == len(local) {
		return masked + "@" + domain
	}
	return string(first) + masked + "@" + domain
}
