package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/sspr/sspr/internal/config/problem"
	"github.com/sspr/sspr/internal/notify"
	"github.com/sspr/sspr/internal/notify/internal/transport"
	"github.com/sspr/sspr/internal/secret"
)

// Defaults.
const (
	DefaultHeaderName = "Authorization"
	// Timeout bounds one call.
	Timeout = 10 * time.Second
)

// Config is the webhook channel's configuration.
//
//	url: https://gateway.example.com/sspr/messages
//	headerName: Authorization                    # default
//	headerValueFile: /run/secrets/webhook-auth   # e.g. "Bearer 9f0c..."; optional
type Config struct {
	URL             string `yaml:"url"`
	HeaderName      string `yaml:"headerName"`
	HeaderValueFile string `yaml:"headerValueFile"`

	// HeaderValue is read from HeaderValueFile by the caller; never from the YAML itself.
	// Empty: no header is sent.
	HeaderValue secret.Value `yaml:"-"`
}

var tokenRe = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

// WithDefaults returns c with the header name filled in.
func (c Config) WithDefaults() Config {
	if c.HeaderName == "" {
		c.HeaderName = DefaultHeaderName
	}
	return c
}

// Validate reports every problem of c (defaults applied) at once, as a *problem.List
// whose keys are this block's YAML keys.
func (c Config) Validate() error {
	c = c.WithDefaults()
	var e problem.List
	if c.URL == "" {
		e.Add("url", "required")
	} else if err := transport.CheckURL(c.URL); err != nil {
		e.Add("url", "%v", err)
	}
	if !tokenRe.MatchString(c.HeaderName) {
		e.Add("headerName", "%q is not an HTTP header name", c.HeaderName)
	}
	return e.Err()
}

// IdempotencyHeader carries notify.Message.IdempotencyKey: one value per message, the same
// on every attempt.
const IdempotencyHeader = "Idempotency-Key"

// Payload is the JSON body of a webhook call.
type Payload struct {
	Channel string `json:"channel"`           // "sms", "voice" or "email"
	To      string `json:"to"`                // E.164 number or email address
	Subject string `json:"subject,omitempty"` // email only
	Body    string `json:"body"`
	Say     string `json:"say,omitempty"` // voice only: the text to speak (notify.VoiceText)
	// Language is the BCP 47 tag the text is in ("ar", "de"), for the gateway to pick a voice;
	// absent when unknown.
	Language string `json:"language,omitempty"`
}

// Channel posts messages to a webhook. Safe for concurrent use.
type Channel struct {
	cfg    Config
	client *http.Client
}

var _ notify.Channel = (*Channel)(nil)

// New checks cfg and returns a Channel.
func New(cfg Config) (*Channel, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	if cfg.HeaderValueFile != "" && cfg.HeaderValue == "" {
		return nil, fmt.Errorf("webhook: the header value is empty: headerValueFile was not read or is empty")
	}
	return &Channel{cfg: cfg, client: transport.NewHTTPClient(Timeout)}, nil
}

// Send posts m.
func (c *Channel) Send(ctx context.Context, m notify.Message) error {
	p := Payload{Channel: m.Channel, To: m.To, Body: m.Body, Language: m.Language}
	switch m.Channel {
	case notify.ChannelSMS:
	case notify.ChannelVoice:
		p.Say = notify.VoiceText(m.Body)
	case notify.ChannelEmail:
		p.Subject = m.Subject
	default:
		return notify.Permanent(fmt.Errorf("webhook: cannot send %q messages", m.Channel))
	}
	data, err := json.Marshal(p)
	if err != nil {
		return notify.Permanent(fmt.Errorf("webhook: %w", err))
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.URL, bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "sspr")
	if m.IdempotencyKey != "" {
		// The same message sent again (a retry, or another instance after a lease) carries
		// the same key, so that the receiver can drop it.
		req.Header.Set(IdempotencyHeader, m.IdempotencyKey)
	}
	if c.cfg.HeaderValue != "" {
		req.Header.Set(c.cfg.HeaderName, c.cfg.HeaderValue.Reveal())
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %s: %w", m.Channel, err)
	}
	body := transport.ReadBody(resp)
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	err = fmt.Errorf("webhook: %s: HTTP %d", m.Channel, resp.StatusCode)
	if s := transport.Snippet(body); s != "" {
		err = fmt.Errorf("%w: %s", err, s)
	}
	if transport.Retryable(resp.StatusCode) {
		return err
	}
	return notify.Permanent(err)
}
