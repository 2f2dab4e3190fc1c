package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/i18n"
	"github.com/sspr/sspr/internal/notify"
	"github.com/sspr/sspr/internal/notify/twilio"
	"github.com/sspr/sspr/internal/store/sqlite"
)

// TestVoiceCallInTheFlowsLanguage: a flow's voice code, queued as sspr serve queues it (the
// queueSender, the SQLite outbox, the worker), reaches a Twilio-compatible provider as a call
// whose <Say language> is the flow's language: arb for an Arabic flow, the configured
// voiceLanguage for a flow in no language.
func TestVoiceCallInTheFlowsLanguage(t *testing.T) {
	var (
		mu    sync.Mutex
		calls []string
	)
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("ParseForm: %v", err)
		}
		mu.Lock()
		calls = append(calls, r.PostForm.Get("Twiml"))
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}))
	defer provider.Close()
	ch, err := twilio.New(twilio.Config{BaseURL: provider.URL, AccountSID: "AC0123456789abcdef0123456789abcdef",
		AuthToken: "tok", From: "+14255550199", VoiceLanguage: "en-GB"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sealer, err := notify.NewSealer(bytes.Repeat([]byte("s"), 32))
	if err != nil {
		t.Fatal(err)
	}
	worker := notify.NewWorker(st, sealer, map[string]notify.Channel{notify.ChannelVoice: ch}, notify.WorkerOptions{}, nil)
	q := &queueSender{outbox: notify.NewOutbox(st, sealer, nil), worker: worker}
	texts := flow.Texts{Bundle: i18n.Default(), Company: "Contoso"}

	for _, tc := range []struct{ lang, wantSay, wantText string }{
		{"ar", `<Say language="arb">`, "Contoso"},
		{"", `<Say language="en-GB">`, "Your Contoso verification code is"},
		{"de", `<Say language="de-DE">`, "Contoso"},
	} {
		m := texts.CodeMessage(tc.lang, flow.PurposeReset, flow.MethodVoice, "+1 4255550100", "482913", 0)
		if err := q.Send(t.Context(), m); err != nil {
			t.Fatalf("%q: Send: %v", tc.lang, err)
		}
		if d, f, err := worker.DeliverDue(t.Context()); d != 1 || f != 0 || err != nil {
			t.Fatalf("%q: DeliverDue = %d, %d, %v", tc.lang, d, f, err)
		}
		mu.Lock()
		got := calls[len(calls)-1]
		mu.Unlock()
		if !strings.HasPrefix(got, "<Response>"+tc.wantSay) || !strings.Contains(got, tc.wantText) || !strings.Contains(got, "4, 8, 2, 9, 1, 3") {
			t.Errorf("%q: TwiML %s, want %s", tc.lang, got, tc.wantSay)
		}
		if tc.lang == "ar" && !strings.ContainsFunc(got, func(r rune) bool { return unicode.Is(unicode.Arabic, r) }) {
			t.Errorf("ar: TwiML %s is not in Arabic", got)
		}
	}
}
