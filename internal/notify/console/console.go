package console

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/sspr/sspr/internal/notify"
)

// Channel prints messages to a writer. Safe for concurrent use: a block is written at once.
type Channel struct {
	mu sync.Mutex
	w  io.Writer
}

var _ notify.Channel = (*Channel)(nil)

// New returns a Channel that writes to w. It has no configuration.
func New(w io.Writer) *Channel { return &Channel{w: w} }

// Send prints m:
//
//	┌─ sspr sms to +14255550100
//	│ Your sspr code is 482913
//	└─
func (c *Channel) Send(_ context.Context, m notify.Message) error {
	var b strings.Builder
	fmt.Fprintf(&b, "┌─ sspr %s to %s\n", m.Channel, m.To)
	if m.Subject != "" {
		fmt.Fprintf(&b, "│ Subject: %s\n│\n", m.Subject)
	}
	for _, line := range strings.Split(strings.TrimRight(m.Body, "\n"), "\n") {
		fmt.Fprintf(&b, "│ %s\n", strings.TrimRight(line, "\r"))
	}
	b.WriteString("└─\n")
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := io.WriteString(c.w, b.String()); err != nil {
		return fmt.Errorf("console: %w", err)
	}
	return nil
}
