package resetpages

import (
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// pages is a stand-in for the reset pages' contract as the benchmarks use it: a CSRF token in
// GET /reset's form, every form refused without it, one option on the methods page, and an
// alert on a refused password.
func pages(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /reset", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<form><input type="hidden" name="csrf" value="tok-1"></form>`))
	})
	mux.HandleFunc("GET /reset/verify", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<input type="radio" name="option" id="option-sms" value="sms">`))
	})
	mux.HandleFunc("POST /", func(w http.ResponseWriter, r *http.Request) {
		if r.FormValue("csrf") != "tok-1" || r.Header.Get("X-Forwarded-For") != "10.1.2.3" {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		if r.URL.Path == "/reset/send" && r.FormValue("option") != "sms" {
			http.Error(w, "no such option", http.StatusBadRequest)
			return
		}
		if r.URL.Path == "/reset/complete" && r.FormValue("password") == "weak" {
			w.Write([]byte(`<p role="alert" class="x"> Too short. </p>`))
			return
		}
		http.Redirect(w, r, "/reset/verify", http.StatusSeeOther)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func TestBrowser(t *testing.T) {
	srv := pages(t)
	var seen []string
	b, err := New(srv.URL, client(), func(method, path string, resp *http.Response, took time.Duration) {
		if took <= 0 {
			t.Errorf("%s %s took %v", method, path, took)
		}
		seen = append(seen, method+" "+path+" "+resp.Status[:3])
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		ip      string
		run     func() error
		wantErr string // "" for none
	}{
		{"start sends the token and the header", "10.1.2.3", func() error { return b.Start("user1") }, ""},
		{"a form from another address is refused", "10.9.9.9", func() error { return b.Start("user1") }, "POST /reset: 403"},
		{"complete", "10.1.2.3", func() error { return b.Complete("sms", "12345678", "Long-Enough-1") }, ""},
		{"a refused password is an error with the alert", "10.1.2.3", func() error { return b.Complete("sms", "12345678", "weak") }, "complete refused: Too short."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b.Header.Set("X-Forwarded-For", tt.ip)
			err := tt.run()
			if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
	if want := "GET /reset 200,POST /reset 303,GET /reset/verify 200,POST /reset/send 303"; !strings.HasPrefix(strings.Join(seen, ","), want) {
		t.Errorf("observed %q, want it to start with %q", seen, want)
	}
}

func TestNewWithoutToken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<p>maintenance</p>")) }))
	defer srv.Close()
	if _, err := New(srv.URL, client(), nil); err == nil || !strings.Contains(err.Error(), "no CSRF token") {
		t.Fatalf("New on a page without a token: %v", err)
	}
}
