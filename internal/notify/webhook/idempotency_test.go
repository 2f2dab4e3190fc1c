package webhook_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/sspr/sspr/internal/notify"
	"github.com/sspr/sspr/internal/notify/webhook"
)

// TestIdempotencyKey: every attempt at a message carries its key in Idempotency-Key, the same
// on a retry; a message without a key sends no such header.
func TestIdempotencyKey(t *testing.T) {
	headers := make(chan []string, 10) // the header's values on each request
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		headers <- r.Header.Values(webhook.IdempotencyHeader)
	}))
	defer srv.Close()
	c, err := webhook.New(webhook.Config{URL: srv.URL + "/hook"})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []notify.Message{
		{Channel: notify.ChannelSMS, To: "+14255550100", Body: "code " + code, IdempotencyKey: "sspr-7-0a1b"},
		{Channel: notify.ChannelSMS, To: "+14255550100", Body: "code " + code, IdempotencyKey: "sspr-7-0a1b"}, // a retry
		{Channel: notify.ChannelSMS, To: "+14255550100", Body: "code " + code},
	} {
		if err := c.Send(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	close(headers)
	var keys []string
	for h := range headers {
		keys = append(keys, strings.Join(h, ",")+"|")
	}
	if want := []string{"sspr-7-0a1b|", "sspr-7-0a1b|", "|"}; !slices.Equal(keys, want) {
		t.Errorf("Idempotency-Key headers %q, want %q", keys, want)
	}
}
