package notify

import "strings"

// VoiceText is what a voice call says for body: every run of digits read one digit at a time
// with pauses ("482913" → "4, 8, 2, 9, 1, 3"), the whole said twice so that the listener can
// write the code down.
//
//	VoiceText("Your sspr code is 482913") == "Your sspr code is 4, 8, 2, 9, 1, 3. Your sspr code is 4, 8, 2, 9, 1, 3."
func VoiceText(body string) string {
	var b strings.Builder
	prevDigit := false
	for _, r := range strings.Join(strings.Fields(body), " ") {
		digit := r >= '0' && r <= '9'
		if digit && prevDigit {
			b.WriteString(", ")
		}
		b.WriteRune(r)
		prevDigit = digit
	}
	s := b.String()
	if s == "" {
		return ""
	}
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "!") && !strings.HasSuffix(s, "?") {
		s += "."
	}
	return s + " " + s
}
