package csrf

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	g := Guard{Key: bytes.Repeat([]byte("k"), 32), Cookie: "sspr_test_csrf", Path: "/admin", Origin: "https://sspr.example.com"}
	// A page sets the cookie and gives the token.
	rec := httptest.NewRecorder()
	token := g.Token(rec, httptest.NewRequest("GET", "/admin/x", nil))
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteStrictMode || cookies[0].Path != "/admin" {
		t.Fatalf("cookie %+v", cookies)
	}
	other := Guard{Key: bytes.Repeat([]byte("o"), 32), Cookie: g.Cookie}.Token(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	for _, tc := range []struct {
		name    string
		token   string
		cookie  bool
		headers map[string]string
		ok      bool
	}{
		{"form of this site", token, true, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "null"}, true},
		{"old browser, same origin", token, true, map[string]string{"Origin": "https://sspr.example.com"}, true},
		{"no token", "", true, nil, false},
		{"another key's token", other, true, nil, false},
		{"no cookie", token, false, nil, false},
		{"cross-site fetch", token, true, map[string]string{"Sec-Fetch-Site": "cross-site"}, false},
		{"same-site is not same-origin", token, true, map[string]string{"Sec-Fetch-Site": "same-site"}, false},
		{"another origin", token, true, map[string]string{"Origin": "https://evil.example"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/admin/x", strings.NewReader(url.Values{Field: {tc.token}}.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tc.cookie {
				r.AddCookie(cookies[0])
			}
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			if got := g.Check(r); got != tc.ok {
				t.Errorf("Check = %v, want %v", got, tc.ok)
			}
		})
	}
}
