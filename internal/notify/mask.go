package notify

import (
	"strings"
	"unicode"

	"github.com/sspr/sspr/internal/email"
	"github.com/sspr/sspr/internal/phone"
)

// MaskDestination hides a destination for logs and audit: an email address as "a•••@domain"
// (email.Mask), an E.164 number as "+1 ••••••0100" (phone.Mask: the country code and the
// last digits stay). Anything unreadable gives "•••".
func MaskDestination(channel, to string) string {
	if channel == ChannelEmail || strings.Contains(to, "@") {
		return email.Mask(to)
	}
	var n phone.Normalizer // no default region: only "+..." numbers
	if num, err := n.Normalize(to); err == nil {
		return phone.Mask(num.Canonical)
	}
	// Not a number libphonenumber knows: show the last digits only, as phone.Mask would.
	var digits []byte
	for i := 0; i < len(to); i++ {
		if to[i] >= '0' && to[i] <= '9' {
			digits = append(digits, to[i])
		}
	}
	if len(digits) == 0 || len(digits) > 16 {
		return phone.Bullet + phone.Bullet + phone.Bullet
	}
	shown := min(4, len(digits)/2)
	return strings.Repeat(phone.Bullet, len(digits)-shown) + string(digits[len(digits)-shown:])
}

// redacted replaces a hidden value in error texts.
const redacted = "[redacted]"

// scrub removes from an error text whatever of the message it must not show: the body, any
// word of it that holds a digit and is 4 characters or longer (a code a provider echoed), and
// the destination (replaced by its mask). A provider that quotes the request in its error
// therefore leaks neither the code nor the full phone number into attempts and logs.
func scrub(text string, m Message) string {
	if text == "" {
		return ""
	}
	if b := strings.TrimSpace(m.Body); b != "" {
		text = strings.ReplaceAll(text, b, redacted)
	}
	for _, w := range strings.FieldsFunc(m.Body, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if len(w) >= 4 && strings.ContainsFunc(w, unicode.IsDigit) {
			text = strings.ReplaceAll(text, w, redacted)
		}
	}
	if m.To != "" {
		mask := MaskDestination(m.Channel, m.To)
		text = strings.ReplaceAll(text, m.To, mask)
		if d := strings.TrimPrefix(m.To, "+"); d != m.To && len(d) >= 7 {
			text = strings.ReplaceAll(text, d, mask) // "14255550100" without its +
			var n phone.Normalizer
			if num, err := n.Normalize(m.To); err == nil && len(num.National) >= 6 {
				text = strings.ReplaceAll(text, num.National, mask) // "4255550100", national
			}
		}
	}
	const maxError = 1000
	return truncate(text, maxError)
}
