package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sspr/sspr/internal/config/problem"
	"github.com/sspr/sspr/internal/notify"
	"github.com/sspr/sspr/internal/notify/webhook"
)

const code = "482913"

type request struct {
	Method, Path, ContentType, Auth string
	Raw                             string
}

type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []request
	status int
	body   string
}

func newReceiver(t *testing.T, header string, status int, body string) *receiver {
	t.Helper()
	rc := &receiver{status: status, body: body}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("read body: %v", err)
		}
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, request{r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.Header.Get(header), string(b)})
		status, body := rc.status, rc.body
		rc.mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.reqs...)
}

func send(t *testing.T, c *webhook.Channel, m notify.Message) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	return c.Send(ctx, m)
}

func TestSendDelivers(t *testing.T) {
	tests := []struct {
		name     string
		header   string
		msg      notify.Message
		wantAuth string
		wantJSON string
	}{
		{"sms with default header", "", notify.Message{Channel: "sms", To: "+14255550100", Body: "Your code is " + code},
			"Bearer s3cret", `{"channel":"sms","to":"+14255550100","body":"Your code is 482913"}`},
		{"voice with custom header", "X-Api-Key", notify.Message{Channel: "voice", To: "+14255550100", Body: "Your code is " + code},
			"Bearer s3cret", `{"channel":"voice","to":"+14255550100","body":"Your code is 482913","say":"Your code is 4, 8, 2, 9, 1, 3. Your code is 4, 8, 2, 9, 1, 3."}`},
		{"voice in arabic", "", notify.Message{Channel: "voice", To: "+14255550100", Body: "رمزك " + code, Language: "ar"},
			"Bearer s3cret", `{"channel":"voice","to":"+14255550100","body":"رمزك 482913","say":"رمزك 4, 8, 2, 9, 1, 3. رمزك 4, 8, 2, 9, 1, 3.","language":"ar"}`},
		{"sms in german", "", notify.Message{Channel: "sms", To: "+14255550100", Body: "Ihr Code " + code, Language: "de"},
			"Bearer s3cret", `{"channel":"sms","to":"+14255550100","body":"Ihr Code 482913","language":"de"}`},
		{"email", "", notify.Message{Channel: "email", To: "alice@example.com", Subject: "Zoë's code", Body: "<" + code + ">"},
			"Bearer s3cret", `{"channel":"email","to":"alice@example.com","subject":"Zoë's code","body":"\u003c482913\u003e"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := tt.header
			if header == "" {
				header = "Authorization"
			}
			rc := newReceiver(t, header, http.StatusAccepted, "")
			c, err := webhook.New(webhook.Config{URL: rc.URL + "/hook", HeaderName: tt.header, HeaderValueFile: "/run/secrets/hook", HeaderValue: "Bearer s3cret"})
			if err != nil {
				t.Fatal(err)
			}
			if err := send(t, c, tt.msg); err != nil {
				t.Fatalf("Send: %v", err)
			}
			reqs := rc.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			want := request{"POST", "/hook", "application/json", tt.wantAuth, tt.wantJSON}
			if !reflect.DeepEqual(reqs[0], want) {
				t.Errorf("request\n got %+v\nwant %+v", reqs[0], want)
			}
			var p webhook.Payload
			if err := json.Unmarshal([]byte(reqs[0].Raw), &p); err != nil || p.Body != tt.msg.Body {
				t.Errorf("payload %+v, %v", p, err)
			}
		})
	}
}

func TestSendWithoutHeader(t *testing.T) {
	rc := newReceiver(t, "Authorization", http.StatusOK, "")
	c, err := webhook.New(webhook.Config{URL: rc.URL})
	if err != nil {
		t.Fatal(err)
	}
	if err := send(t, c, notify.Message{Channel: "sms", To: "+14255550100", Body: "x"}); err != nil {
		t.Fatal(err)
	}
	if got := rc.requests()[0].Auth; got != "" {
		t.Errorf("Authorization %q sent", got)
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		status    int
		body      string
		permanent bool
		want      string
	}{
		{400, `{"error":"invalid number"}`, true, "HTTP 400: invalid number"},
		{404, "not found", true, "HTTP 404: not found"},
		{429, "slow down", false, "HTTP 429: slow down"},
		{502, "", false, "HTTP 502"},
	}
	for _, tt := range tests {
		rc := newReceiver(t, "Authorization", tt.status, tt.body)
		c, err := webhook.New(webhook.Config{URL: rc.URL})
		if err != nil {
			t.Fatal(err)
		}
		err = send(t, c, notify.Message{Channel: "sms", To: "+14255550100", Body: "x"})
		if err == nil || notify.IsPermanent(err) != tt.permanent || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("status %d: Send = %v (permanent %v), want %q permanent %v", tt.status, err, notify.IsPermanent(err), tt.want, tt.permanent)
		}
	}
	c, err := webhook.New(webhook.Config{URL: "http://127.0.0.1:1/hook"})
	if err != nil {
		t.Fatal(err)
	}
	if err := send(t, c, notify.Message{Channel: "sms", To: "+14255550100", Body: "x"}); err == nil || notify.IsPermanent(err) {
		t.Errorf("connection refused: Send = %v, want retryable", err)
	}
	if err := send(t, c, notify.Message{Channel: "fax", To: "+14255550100", Body: "x"}); !notify.IsPermanent(err) {
		t.Errorf("unknown channel: Send = %v, want permanent", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		cfg  webhook.Config
		want []string
	}{
		{webhook.Config{URL: "https://gw.example.com/x", HeaderValueFile: "/f"}, nil},
		{webhook.Config{URL: "http://localhost:9000/x"}, nil},
		{webhook.Config{}, []string{"url: required"}},
		{webhook.Config{URL: "http://gw.example.com/x", HeaderName: "Bad Header"}, []string{"url: http:// is allowed only", "headerName: "}},
		{webhook.Config{URL: "ftp://gw.example.com/x"}, []string{`url: scheme "ftp"`}},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		if len(tt.want) == 0 {
			if err != nil {
				t.Errorf("Validate(%+v) = %v", tt.cfg, err)
			}
			continue
		}
		var ce *problem.List
		if !errors.As(err, &ce) || len(ce.Problems) != len(tt.want) {
			t.Errorf("Validate(%+v) = %v, want %d problems", tt.cfg, err, len(tt.want))
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Validate(%+v) = %v, want %q", tt.cfg, err, w)
			}
		}
	}
	if _, err := webhook.New(webhook.Config{URL: "https://gw.example.com", HeaderValueFile: "/f"}); err == nil {
		t.Error("New accepted an unread header value file")
	}
}

func TestConfigYAML(t *testing.T) {
	const doc = `
url: https://gateway.example.com/sspr/messages
headerName: X-Api-Key
headerValueFile: /run/secrets/webhook-auth
`
	var c webhook.Config
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	want := webhook.Config{URL: "https://gateway.example.com/sspr/messages", HeaderName: "X-Api-Key", HeaderValueFile: "/run/secrets/webhook-auth"}
	if c != want {
		t.Errorf("decoded %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}
