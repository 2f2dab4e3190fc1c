package twilio_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sspr/sspr/internal/config/problem"
	"github.com/sspr/sspr/internal/notify"
	"github.com/sspr/sspr/internal/notify/twilio"
)

const (
	sid   = "AC0123456789abcdef0123456789abcdef"
	token = "tok-3f9a"
	code  = "482913"
)

// request is what the provider received.
type request struct {
	Method, Path, ContentType string
	User, Pass                string
	Form                      url.Values
}

// provider is a Twilio-like HTTP server on 127.0.0.1 that records requests and answers with
// a fixed status and body.
type provider struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []request
	status int
	body   string
}

func newProvider(t *testing.T, status int, body string) *provider {
	t.Helper()
	p := &provider{status: status, body: body}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("ParseForm: %v", err)
		}
		user, pass, _ := r.BasicAuth()
		p.mu.Lock()
		p.reqs = append(p.reqs, request{r.Method, r.URL.Path, r.Header.Get("Content-Type"), user, pass, r.PostForm})
		status, body := p.status, p.body
		p.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *provider) requests() []request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]request(nil), p.reqs...)
}

func newChannel(t *testing.T, cfg twilio.Config) *twilio.Channel {
	t.Helper()
	c, err := twilio.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func send(t *testing.T, c *twilio.Channel, m notify.Message) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	return c.Send(ctx, m)
}

const created = `{"sid":"SM0123456789abcdef0123456789abcdef","status":"queued"}`

func TestSendDelivers(t *testing.T) {
	const say = "Your code is 4, 8, 2, 9, 1, 3. Your code is 4, 8, 2, 9, 1, 3."
	tests := []struct {
		name     string
		from     string
		voice    string
		msg      notify.Message
		wantPath string
		wantForm url.Values
	}{
		{"sms from a number", "+14255550199", "",
			notify.Message{Channel: "sms", To: "+14255550100", Body: "Your code is " + code},
			"/2010-04-01/Accounts/" + sid + "/Messages.json",
			url.Values{"To": {"+14255550100"}, "From": {"+14255550199"}, "Body": {"Your code is " + code}}},
		{"sms from a messaging service", "MG0123456789abcdef0123456789abcdef", "",
			notify.Message{Channel: "sms", To: "+442079460958", Body: "Code <" + code + "> & more"},
			"/2010-04-01/Accounts/" + sid + "/Messages.json",
			url.Values{"To": {"+442079460958"}, "MessagingServiceSid": {"MG0123456789abcdef0123456789abcdef"}, "Body": {"Code <" + code + "> & more"}}},
		{"voice", "+14255550199", "",
			notify.Message{Channel: "voice", To: "+14255550100", Body: "Your code is " + code},
			"/2010-04-01/Accounts/" + sid + "/Calls.json",
			url.Values{"To": {"+14255550100"}, "From": {"+14255550199"},
				"Twiml": {`<Response><Say language="en-US">` + say + `</Say></Response>`}}},
		{"voice in arabic", "+14255550199", "",
			notify.Message{Channel: "voice", To: "+14255550100", Body: "رمز التحقق هو " + code, Language: "ar"},
			"/2010-04-01/Accounts/" + sid + "/Calls.json",
			url.Values{"To": {"+14255550100"}, "From": {"+14255550199"},
				"Twiml": {`<Response><Say language="arb">رمز التحقق هو 4, 8, 2, 9, 1, 3. رمز التحقق هو 4, 8, 2, 9, 1, 3.</Say></Response>`}}},
		{"sms in arabic: no language parameter", "+14255550199", "",
			notify.Message{Channel: "sms", To: "+14255550100", Body: "رمز " + code, Language: "ar"},
			"/2010-04-01/Accounts/" + sid + "/Messages.json",
			url.Values{"To": {"+14255550100"}, "From": {"+14255550199"}, "Body": {"رمز " + code}}},
		{"voice from voiceFrom, escaped", "MG0123456789abcdef0123456789abcdef", "+14255550198",
			notify.Message{Channel: "voice", To: "+14255550100", Body: "Code <" + code + "> & \"more\""},
			"/2010-04-01/Accounts/" + sid + "/Calls.json",
			url.Values{"To": {"+14255550100"}, "From": {"+14255550198"},
				"Twiml": {`<Response><Say language="en-US">Code &lt;4, 8, 2, 9, 1, 3&gt; &amp; &#34;more&#34;. Code &lt;4, 8, 2, 9, 1, 3&gt; &amp; &#34;more&#34;.</Say></Response>`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t, http.StatusCreated, created)
			c := newChannel(t, twilio.Config{BaseURL: p.URL + "/", AccountSID: sid, AuthToken: token, From: tt.from, VoiceFrom: tt.voice})
			if err := send(t, c, tt.msg); err != nil {
				t.Fatalf("Send: %v", err)
			}
			reqs := p.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			want := request{"POST", tt.wantPath, "application/x-www-form-urlencoded", sid, token, tt.wantForm}
			if !reflect.DeepEqual(reqs[0], want) {
				t.Errorf("request\n got %+v\nwant %+v", reqs[0], want)
			}
		})
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		permanent bool
		want      string
	}{
		{"invalid number", 400, `{"code":21211,"message":"Invalid 'To' Phone Number","status":400}`, true, "HTTP 400: code 21211: Invalid 'To' Phone Number"},
		{"bad credentials", 401, `{"code":20003,"message":"Authenticate","status":401}`, true, "HTTP 401: code 20003: Authenticate"},
		{"rate limited", 429, `{"code":20429,"message":"Too Many Requests","status":429}`, false, "HTTP 429: code 20429: Too Many Requests"},
		{"server error", 503, "<html>Service\nUnavailable</html>", false, "HTTP 503: <html>Service Unavailable</html>"},
		{"huge error body", 500, strings.Repeat("x", 1<<20), false, "HTTP 500: xxx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t, tt.status, tt.body)
			c := newChannel(t, twilio.Config{BaseURL: p.URL, AccountSID: sid, AuthToken: token, From: "+14255550199"})
			err := send(t, c, notify.Message{Channel: "sms", To: "+14255550100", Body: "code " + code})
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if notify.IsPermanent(err) != tt.permanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, !tt.permanent, tt.permanent)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want %q", err, tt.want)
			}
			if len(err.Error()) > 400 {
				t.Errorf("error text of %d bytes", len(err.Error()))
			}
		})
	}
}

func TestSendRefuses(t *testing.T) {
	p := newProvider(t, http.StatusCreated, created)
	svc := newChannel(t, twilio.Config{BaseURL: p.URL, AccountSID: sid, AuthToken: token, From: "MG0123456789abcdef0123456789abcdef"})
	num := newChannel(t, twilio.Config{BaseURL: p.URL, AccountSID: sid, AuthToken: token, From: "+14255550199"})
	for _, tt := range []struct {
		c   *twilio.Channel
		msg notify.Message
	}{
		{num, notify.Message{Channel: "email", To: "alice@example.com", Body: "x"}},
		{num, notify.Message{Channel: "sms", To: "4255550100", Body: "x"}},
		{svc, notify.Message{Channel: "voice", To: "+14255550100", Body: "x"}},
	} {
		if err := send(t, tt.c, tt.msg); !notify.IsPermanent(err) {
			t.Errorf("Send(%+v) = %v, want permanent", tt.msg, err)
		}
	}
	if n := len(p.requests()); n != 0 {
		t.Errorf("%d requests made", n)
	}
}

func TestRedirects(t *testing.T) {
	other := newProvider(t, http.StatusCreated, created)
	redirect := func(target string) *httptest.Server {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target+r.URL.Path, http.StatusTemporaryRedirect)
		}))
		t.Cleanup(s.Close)
		return s
	}
	// 127.0.0.1 and localhost are different hosts to the client.
	cross := redirect(strings.Replace(other.URL, "127.0.0.1", "localhost", 1))
	c := newChannel(t, twilio.Config{BaseURL: cross.URL, AccountSID: sid, AuthToken: token, From: "+14255550199"})
	err := send(t, c, notify.Message{Channel: "sms", To: "+14255550100", Body: "x"})
	if err == nil || !strings.Contains(err.Error(), "redirect to another host") {
		t.Errorf("Send = %v, want the redirect refused", err)
	}
	if n := len(other.requests()); n != 0 {
		t.Errorf("redirect followed: %d requests", n)
	}
}

func TestNetworkErrorIsRetried(t *testing.T) {
	p := newProvider(t, http.StatusCreated, created)
	c := newChannel(t, twilio.Config{BaseURL: p.URL, AccountSID: sid, AuthToken: token, From: "+14255550199"})
	p.Close()
	err := send(t, c, notify.Message{Channel: "sms", To: "+14255550100", Body: "x"})
	if err == nil || notify.IsPermanent(err) {
		t.Errorf("Send = %v, want a retryable error", err)
	}
	if strings.Contains(err.Error(), token) {
		t.Error("error holds the token")
	}
}

func TestTwiML(t *testing.T) {
	got := twilio.TwiML("fr-FR", "Code: 12 34")
	want := `<Response><Say language="fr-FR">Code: 1, 2 3, 4. Code: 1, 2 3, 4.</Say></Response>`
	if got != want {
		t.Errorf("TwiML = %q, want %q", got, want)
	}
}

func TestSayLanguage(t *testing.T) {
	tests := []struct {
		lang, configured, want string
	}{
		{"", "en-US", "en-US"},
		{"", "en-GB", "en-GB"},
		{"en", "en-US", "en-US"},
		{"en", "en-GB", "en-GB"},    // the configured accent of the same language
		{"fr", "fr-CA", "fr-CA"},    // idem
		{"fr-CA", "en-US", "fr-FR"}, // the language's Twilio value, not the region
		{"de", "en-US", "de-DE"},
		{"de-CH", "en-GB", "de-DE"},
		{"es", "en-US", "es-ES"},
		{"ar", "en-US", "arb"},
		{"AR", "de-DE", "arb"},
		{"ja", "en-GB", "en-GB"},       // a language sspr does not speak: the configured one
		{"x-pseudo", "en-US", "en-US"}, // the pseudo-locale
	}
	for _, tt := range tests {
		if got := twilio.SayLanguage(tt.lang, tt.configured); got != tt.want {
			t.Errorf("SayLanguage(%q, %q) = %q, want %q", tt.lang, tt.configured, got, tt.want)
		}
	}
}

// TestVoiceLanguagePerMessage: the configured voiceLanguage is the fallback, each call is
// spoken in its message's language.
func TestVoiceLanguagePerMessage(t *testing.T) {
	p := newProvider(t, http.StatusCreated, created)
	c := newChannel(t, twilio.Config{BaseURL: p.URL, AccountSID: sid, AuthToken: token, From: "+14255550199", VoiceLanguage: "en-GB"})
	for _, lang := range []string{"de", "", "ar", "es", "fr", "en"} {
		if err := send(t, c, notify.Message{Channel: "voice", To: "+14255550100", Body: "Code " + code, Language: lang}); err != nil {
			t.Fatalf("Send(%q): %v", lang, err)
		}
	}
	var got []string
	for _, r := range p.requests() {
		twiml := r.Form.Get("Twiml")
		_, rest, _ := strings.Cut(twiml, `<Say language="`)
		lang, _, _ := strings.Cut(rest, `"`)
		got = append(got, lang)
	}
	if want := []string{"de-DE", "en-GB", "arb", "es-ES", "fr-FR", "en-GB"}; !reflect.DeepEqual(got, want) {
		t.Errorf("<Say language> of the calls = %q, want %q", got, want)
	}
}

func TestConfigValidate(t *testing.T) {
	ok := twilio.Config{AccountSID: sid, AuthTokenFile: "/run/secrets/t", From: "+14255550199"}
	tests := []struct {
		name string
		mod  func(*twilio.Config)
		want []string
	}{
		{"minimal", func(*twilio.Config) {}, nil},
		{"messaging service", func(c *twilio.Config) { c.From, c.VoiceFrom = "MG0123456789abcdef0123456789abcdef", "+14255550198" }, nil},
		{"loopback http", func(c *twilio.Config) { c.BaseURL = "http://127.0.0.1:8080" }, nil},
		{"empty", func(c *twilio.Config) { *c = twilio.Config{} }, []string{"accountSID: required", "authTokenFile: required", "from: required"}},
		{"remote http", func(c *twilio.Config) { c.BaseURL = "http://sms.example.com" }, []string{"baseURL: http:// is allowed only towards 127.0.0.1 or localhost"}},
		{"credentials in URL", func(c *twilio.Config) { c.BaseURL = "https://u:p@sms.example.com" }, []string{"baseURL: credentials in the URL"}},
		{"bad sid", func(c *twilio.Config) { c.AccountSID = "AC/../x" }, []string{"accountSID: "}},
		{"bad from", func(c *twilio.Config) { c.From = "4255550199" }, []string{"from: "}},
		{"bad voiceFrom", func(c *twilio.Config) { c.VoiceFrom = "+0123" }, []string{"voiceFrom: "}},
		{"bad language", func(c *twilio.Config) { c.VoiceLanguage = "en US" }, []string{"voiceLanguage: "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.mod(&c)
			err := c.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			var ce *problem.List
			if !errors.As(err, &ce) || len(ce.Problems) != len(tt.want) {
				t.Fatalf("Validate = %v, want %d problems", err, len(tt.want))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate = %v, want %q", err, w)
				}
			}
		})
	}
	if c := (twilio.Config{}).WithDefaults(); c.BaseURL != twilio.DefaultBaseURL || c.VoiceLanguage != "en-US" {
		t.Errorf("WithDefaults = %+v", c)
	}
	if _, err := twilio.New(ok); err == nil || !strings.Contains(err.Error(), "auth token is empty") {
		t.Errorf("New without token = %v", err)
	}
}

func TestConfigYAML(t *testing.T) {
	const doc = `
baseURL: https://api.twilio.com
accountSID: AC0123456789abcdef0123456789abcdef
authTokenFile: /run/secrets/twilio-token
from: "MG0123456789abcdef0123456789abcdef"
voiceFrom: "+14255550199"
voiceLanguage: en-GB
`
	var c twilio.Config
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	want := twilio.Config{BaseURL: "https://api.twilio.com", AccountSID: sid, AuthTokenFile: "/run/secrets/twilio-token",
		From: "MG0123456789abcdef0123456789abcdef", VoiceFrom: "+14255550199", VoiceLanguage: "en-GB"}
	if c != want {
		t.Errorf("decoded %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
	dec = yaml.NewDecoder(strings.NewReader("authToken: secret\n"))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err == nil {
		t.Error("a token in the YAML itself was accepted")
	}
}
