package file

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sspr/sspr/internal/config/problem"
	"github.com/sspr/sspr/internal/notify"
)

// Config is the file channel's configuration.
//
//	path: /var/lib/sspr/outbox.jsonl
type Config struct {
	Path string `yaml:"path"`
	// Now gives each line's time; time.Now when nil (tests set it).
	Now func() time.Time `yaml:"-" json:"-"`
}

// Validate reports a missing path, or a directory that does not exist, as a
// *problem.List.
func (c Config) Validate() error {
	var e problem.List
	if c.Path == "" {
		e.Add("path", "required")
	} else if fi, err := os.Stat(filepath.Dir(c.Path)); err != nil {
		e.Add("path", "%v", err)
	} else if !fi.IsDir() {
		e.Add("path", "%s is not a directory", filepath.Dir(c.Path))
	}
	return e.Err()
}

// Line is one message in the file.
type Line struct {
	Time    string `json:"time"` // RFC 3339
	Channel string `json:"channel"`
	To      string `json:"to"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
	// ID is the message's idempotency key (notify.Message.IdempotencyKey): the same ID twice is
	// one message delivered twice.
	ID string `json:"id,omitempty"`
	// Language is the tag the text is in (notify.Message.Language), when known.
	Language string `json:"language,omitempty"`
}

// Channel appends messages to a file. Safe for concurrent use; the file is opened for each
// message (O_APPEND), so it may be rotated or removed at any time.
type Channel struct {
	path string
	mu   sync.Mutex
	now  func() time.Time
}

var _ notify.Channel = (*Channel)(nil)

// New checks cfg and that the file can be opened for appending (creating it, mode 0600).
func New(cfg Config) (*Channel, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("file: %w", err)
	}
	f, err := open(cfg.Path)
	if err != nil {
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("file: %w", err)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Channel{path: cfg.Path, now: now}, nil
}

func open(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("file: %w", err)
	}
	return f, nil
}

// Send appends m as one JSON line, written at once.
func (c *Channel) Send(_ context.Context, m notify.Message) error {
	line, err := json.Marshal(Line{Time: c.now().Format(time.RFC3339), Channel: m.Channel, To: m.To, Subject: m.Subject, Body: m.Body, ID: m.IdempotencyKey, Language: m.Language})
	if err != nil {
		return notify.Permanent(fmt.Errorf("file: %w", err))
	}
	line = append(line, '\n')
	c.mu.Lock()
	defer c.mu.Unlock()
	f, err := open(c.path)
	if err != nil {
		return err
	}
	if _, err := f.Write(line); err != nil {
		f.Close()
		return fmt.Errorf("file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("file: %w", err)
	}
	return nil
}
