package twilio

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/sspr/sspr/internal/config/problem"
	"github.com/sspr/sspr/internal/notify"
	"github.com/sspr/sspr/internal/notify/internal/transport"
	"github.com/sspr/sspr/internal/secret"
)

// Defaults.
const (
	DefaultBaseURL       = "https://api.twilio.com"
	DefaultVoiceLanguage = "en-US"
	// Timeout bounds one API call.
	Timeout = 15 * time.Second
)

// Config is the Twilio-compatible SMS and voice channel's configuration.
//
//	baseURL: https://api.twilio.com    # default; another provider's compatible API
//	accountSID: AC0123456789abcdef0123456789abcdef
//	authTokenFile: /run/secrets/twilio-token
//	from: "+14255550199"               # E.164 number, or a messaging service SID "MG..." (SMS only)
//	voiceFrom: "+14255550199"          # caller ID for calls; default from (required when from is "MG...")
//	voiceLanguage: en-US               # <Say language=...> of calls in no known language; default en-US
type Config struct {
	BaseURL       string `yaml:"baseURL"`
	AccountSID    string `yaml:"accountSID"`
	AuthTokenFile string `yaml:"authTokenFile"`
	From          string `yaml:"from"`
	VoiceFrom     string `yaml:"voiceFrom"`
	VoiceLanguage string `yaml:"voiceLanguage"`

	// AuthToken is read from AuthTokenFile by the caller; never from the YAML itself.
	AuthToken secret.Value `yaml:"-"`
}

var (
	sidRe  = regexp.MustCompile(`^[A-Za-z0-9]{2,64}$`)
	langRe = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)
)

// WithDefaults returns c with the base URL and voice language filled in.
func (c Config) WithDefaults() Config {
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	if c.VoiceLanguage == "" {
		c.VoiceLanguage = DefaultVoiceLanguage
	}
	return c
}

// Validate reports every problem of c (defaults applied) at once, as a *problem.List
// whose keys are this block's YAML keys.
func (c Config) Validate() error {
	c = c.WithDefaults()
	var e problem.List
	if err := transport.CheckURL(c.BaseURL); err != nil {
		e.Add("baseURL", "%v", err)
	}
	switch {
	case c.AccountSID == "":
		e.Add("accountSID", "required")
	case !sidRe.MatchString(c.AccountSID):
		e.Add("accountSID", "%q is not an account SID (letters and digits, e.g. AC0123...)", c.AccountSID)
	}
	if c.AuthTokenFile == "" && c.AuthToken == "" {
		e.Add("authTokenFile", "required")
	}
	switch {
	case c.From == "":
		e.Add("from", "required: an E.164 number (+14255550199) or a messaging service SID (MG...)")
	case isService(c.From):
	case !notify.ValidE164(c.From):
		e.Add("from", "%q is neither an E.164 number (+14255550199) nor a messaging service SID (MG...)", c.From)
	}
	if c.VoiceFrom != "" && !notify.ValidE164(c.VoiceFrom) {
		e.Add("voiceFrom", "%q is not an E.164 number (+14255550199)", c.VoiceFrom)
	}
	if !langRe.MatchString(c.VoiceLanguage) {
		e.Add("voiceLanguage", "%q is not a language tag such as en-US", c.VoiceLanguage)
	}
	return e.Err()
}

func isService(from string) bool { return strings.HasPrefix(from, "MG") && sidRe.MatchString(from) }

// Channel sends SMS and voice calls through a Twilio-compatible REST API. Safe for concurrent use.
type Channel struct {
	cfg    Config
	base   string
	client *http.Client
}

var _ notify.Channel = (*Channel)(nil)

// New checks cfg and returns a Channel; cfg.AuthToken must already be read.
func New(cfg Config) (*Channel, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("twilio: %w", err)
	}
	if cfg.AuthToken == "" {
		return nil, fmt.Errorf("twilio: the auth token is empty: authTokenFile was not read or is empty")
	}
	base := strings.TrimRight(cfg.BaseURL, "/") + "/2010-04-01/Accounts/" + url.PathEscape(cfg.AccountSID)
	return &Channel{cfg: cfg, base: base, client: transport.NewHTTPClient(Timeout)}, nil
}

// IdempotencyHeader carries notify.Message.IdempotencyKey on every request for a message.
const IdempotencyHeader = "I-Twilio-Idempotency-Token"

// Send sends m as an SMS (channel sms) or places a call that reads it (channel voice).
func (c *Channel) Send(ctx context.Context, m notify.Message) error {
	form := url.Values{"To": {m.To}}
	var endpoint string
	switch m.Channel {
	case notify.ChannelSMS:
		endpoint = "/Messages.json"
		if isService(c.cfg.From) {
			form.Set("MessagingServiceSid", c.cfg.From)
		} else {
			form.Set("From", c.cfg.From)
		}
		form.Set("Body", m.Body)
	case notify.ChannelVoice:
		endpoint = "/Calls.json"
		from := c.cfg.VoiceFrom
		if from == "" {
			from = c.cfg.From
		}
		if isService(from) {
			return notify.Permanent(fmt.Errorf("twilio: voice calls need a caller number: set voiceFrom (from is a messaging service)"))
		}
		form.Set("From", from)
		form.Set("Twiml", TwiML(SayLanguage(m.Language, c.cfg.VoiceLanguage), m.Body))
	default:
		return notify.Permanent(fmt.Errorf("twilio: cannot send %q messages, only sms and voice", m.Channel))
	}
	if !notify.ValidE164(m.To) {
		return notify.Permanent(fmt.Errorf("twilio: the destination is not an E.164 number"))
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("twilio: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "sspr")
	if m.IdempotencyKey != "" {
		// Twilio keeps no documented idempotency header; this is the one its own clients
		// send, and a proxy in front of it can deduplicate on it.
		req.Header.Set(IdempotencyHeader, m.IdempotencyKey)
	}
	req.SetBasicAuth(c.cfg.AccountSID, c.cfg.AuthToken.Reveal())
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("twilio: %s: %w", m.Channel, err)
	}
	body := transport.ReadBody(resp)
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	err = fmt.Errorf("twilio: %s: HTTP %d", m.Channel, resp.StatusCode)
	if s := transport.Snippet(body); s != "" {
		err = fmt.Errorf("%w: %s", err, s)
	}
	if transport.Retryable(resp.StatusCode) {
		return err
	}
	return notify.Permanent(err)
}

// sayLanguages are the <Say language> values of the languages sspr speaks (package i18n), as
// Twilio's text-to-speech documents them: language-locale pairs, and "arb" (Modern Standard
// Arabic) for Arabic.
var sayLanguages = map[string]string{
	"en": "en-US",
	"de": "de-DE",
	"fr": "fr-FR",
	"es": "es-ES",
	"ar": "arb",
}

// SayLanguage is the <Say language> of a call whose text is in lang (a BCP 47 tag, the
// message's): configured (voiceLanguage) when lang is empty, unknown, or the same language as
// configured (an "en-GB" or "fr-CA" configured keeps its accent); else the Twilio value of
// lang's language.
//
//	SayLanguage("ar", "en-US") == "arb"
//	SayLanguage("fr", "fr-CA") == "fr-CA"
//	SayLanguage("", "en-GB") == "en-GB"
func SayLanguage(lang, configured string) string {
	base := primary(lang)
	if base == "" || base == primary(configured) {
		return configured
	}
	if say, ok := sayLanguages[base]; ok {
		return say
	}
	return configured
}

// primary is the lower-case primary language subtag of tag ("de-CH" → "de").
func primary(tag string) string {
	base, _, _ := strings.Cut(tag, "-")
	return strings.ToLower(base)
}

// TwiML returns the instructions of a call that says body (see notify.VoiceText) in language.
func TwiML(language, body string) string {
	var b bytes.Buffer
	b.WriteString(`<Response><Say language="`)
	_ = xml.EscapeText(&b, []byte(language))
	b.WriteString(`">`)
	_ = xml.EscapeText(&b, []byte(notify.VoiceText(body)))
	b.WriteString(`</Say></Response>`)
	return b.String()
}
