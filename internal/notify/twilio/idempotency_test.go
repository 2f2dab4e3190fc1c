package twilio_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/sspr/sspr/internal/notify"
	"github.com/sspr/sspr/internal/notify/twilio"
)

// TestIdempotencyKey: every attempt at a message carries its key in I-Twilio-Idempotency-Token,
// the same on a retry; a message without a key sends no such header.
func TestIdempotencyKey(t *testing.T) {
	var mu sync.Mutex
	var keys []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		k := r.Header.Get(twilio.IdempotencyHeader)
		if _, ok := r.Header[twilio.IdempotencyHeader]; !ok {
			k = "(absent)"
		}
		keys = append(keys, k)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, created)
	}))
	defer srv.Close()
	c := newChannel(t, twilio.Config{BaseURL: srv.URL, AccountSID: sid, AuthToken: token, From: "+14255550199"})
	for _, m := range []notify.Message{
		{Channel: notify.ChannelSMS, To: "+14255550100", Body: "code " + code, IdempotencyKey: "sspr-7-0a1b"},
		{Channel: notify.ChannelSMS, To: "+14255550100", Body: "code " + code, IdempotencyKey: "sspr-7-0a1b"}, // a retry
		{Channel: notify.ChannelVoice, To: "+14255550100", Body: "code " + code, IdempotencyKey: "sspr-8-9f9f"},
		{Channel: notify.ChannelSMS, To: "+14255550100", Body: "code " + code},
	} {
		if err := send(t, c, m); err != nil {
			t.Fatal(err)
		}
	}
	if want := []string{"sspr-7-0a1b", "sspr-7-0a1b", "sspr-8-9f9f", "(absent)"}; !slices.Equal(keys, want) {
		t.Errorf("%s headers %q, want %q", twilio.IdempotencyHeader, keys, want)
	}
}
