package notify

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sspr/sspr/internal/email"
	"github.com/sspr/sspr/internal/store"
)

// Channel names: the kind of message, which decides the Channel that delivers it.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
	ChannelVoice = "voice"
)

// Limits of a Message, checked by Outbox.Send.
const (
	MaxSubjectRunes = 255
	MaxBodyBytes    = 64 << 10
	MaxLanguageLen  = 35
)

// languageRe is the shape of a BCP 47 tag: letters, then subtags of letters and digits.
var languageRe = regexp.MustCompile(`^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$`)

// Message is one email, SMS or voice call, in clear, as the web flows write it and a Channel
// delivers it.
type Message struct {
	Channel string // ChannelEmail, ChannelSMS or ChannelVoice
	To      string // an email address, or an E.164 number "+14255550100" for sms and voice
	Subject string // email only; kept in clear in the outbox, so never put a code in it
	Body    string // sealed in the outbox; may hold a one-time code
	// Language is the BCP 47 tag the text is written in ("ar", "de"; "" when unknown): a voice
	// channel speaks the call in it (twilio: <Say language>), a webhook passes it on; email
	// and SMS ignore it. Kept in clear in the outbox: it holds no secret.
	Language string
	// IdempotencyKey names the message across delivery attempts and instances (the worker
	// sets it from the outbox row: IdempotencyKey): a provider that sees it twice, because an
	// instance died between sending and recording, can drop the second. It holds no secret.
	IdempotencyKey string
}

// IdempotencyKey is the key of the outbox message sm: "sspr-" its ID and a hash of its
// channel, destination and creation time, so that IDs that restart (a new or restored
// database) do not collide. Neither the body nor the code enters it.
func IdempotencyKey(sm store.Message) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d", sm.Channel, sm.To, sm.CreatedAt.UnixNano())
	return fmt.Sprintf("sspr-%d-%x", sm.ID, h.Sum(nil)[:8])
}

// Channel delivers messages: an SMTP relay, an SMS/voice provider, a file, the console.
// Send returns an error wrapped by Permanent when retrying cannot help.
type Channel interface {
	Send(ctx context.Context, m Message) error
}

var (
	// ErrInvalidMessage is wrapped by every error of Outbox.Send about the message itself.
	ErrInvalidMessage = errors.New("invalid message")
	// ErrUnknownChannel is wrapped when a message names a channel other than email, sms, voice.
	ErrUnknownChannel = errors.New("unknown channel")
	// ErrNoChannel is wrapped when the worker has no Channel configured for a message's channel.
	ErrNoChannel = errors.New("no channel configured")
	// ErrPermanent is matched (errors.Is) by every error wrapped by Permanent.
	ErrPermanent = errors.New("permanent failure")
)

// Validate reports why m cannot be sent, or nil. Every error wraps ErrInvalidMessage (and
// ErrUnknownChannel for an unknown channel). Errors never quote the body; they quote the
// destination only masked.
func (m Message) Validate() error {
	switch m.Channel {
	case ChannelEmail:
		if m.To == "" {
			return fmt.Errorf("%w: no destination", ErrInvalidMessage)
		}
		if err := email.Validate(m.To); err != nil {
			return fmt.Errorf("%w: to %s: %w", ErrInvalidMessage, MaskDestination(m.Channel, m.To), err)
		}
	case ChannelSMS, ChannelVoice:
		if m.To == "" {
			return fmt.Errorf("%w: no destination", ErrInvalidMessage)
		}
		if !ValidE164(m.To) {
			return fmt.Errorf("%w: %s destination %s is not an E.164 number (+ then 7 to 15 digits)",
				ErrInvalidMessage, m.Channel, MaskDestination(m.Channel, m.To))
		}
	case "":
		return fmt.Errorf("%w: %w: no channel", ErrInvalidMessage, ErrUnknownChannel)
	default:
		return fmt.Errorf("%w: %w %q (want email, sms or voice)", ErrInvalidMessage, ErrUnknownChannel, truncate(m.Channel, 32))
	}
	if !utf8.ValidString(m.Subject) || utf8.RuneCountInString(m.Subject) > MaxSubjectRunes {
		return fmt.Errorf("%w: subject is not valid UTF-8 or longer than %d characters", ErrInvalidMessage, MaxSubjectRunes)
	}
	for _, r := range m.Subject {
		if unicode.IsControl(r) {
			return fmt.Errorf("%w: subject holds a control character (line break?)", ErrInvalidMessage)
		}
	}
	if m.Language != "" && (len(m.Language) > MaxLanguageLen || !languageRe.MatchString(m.Language)) {
		return fmt.Errorf("%w: language %q is not a language tag such as ar or de-CH", ErrInvalidMessage, truncate(m.Language, 16))
	}
	switch {
	case strings.TrimSpace(m.Body) == "":
		return fmt.Errorf("%w: empty body", ErrInvalidMessage)
	case len(m.Body) > MaxBodyBytes:
		return fmt.Errorf("%w: body longer than %d bytes", ErrInvalidMessage, MaxBodyBytes)
	case !utf8.ValidString(m.Body):
		return fmt.Errorf("%w: body is not valid UTF-8", ErrInvalidMessage)
	}
	return nil
}

// ValidE164 reports whether s is "+" then 7 to 15 ASCII digits, the first not 0 (8 to 16
// characters in all), the form SMS and voice destinations take.
func ValidE164(s string) bool {
	if len(s) < 8 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// permanentError marks an error not worth retrying.
type permanentError struct{ err error }

func (e *permanentError) Error() string        { return e.err.Error() }
func (e *permanentError) Unwrap() error        { return e.err }
func (e *permanentError) Is(target error) bool { return target == ErrPermanent }

// Permanent marks err as not worth retrying (an invalid number, a mailbox that does not exist):
// the worker fails the message at once. Permanent(nil) is nil. The text of err is unchanged.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err, or an error it wraps, was marked by Permanent.
func IsPermanent(err error) bool { return errors.Is(err, ErrPermanent) }
