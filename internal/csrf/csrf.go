package csrf

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
)

// Guard is one site's form guard.
type Guard struct {
	Key    []byte // keys the tokens' HMAC (at least 32 bytes)
	Cookie string // the nonce cookie's name
	Path   string // the cookie's path ("/" when empty)
	Secure bool   // the cookie is sent over HTTPS only
	Origin string // the site's origin, scheme://host[:port]
}

// Field is the form field that carries the token.
const Field = "csrf"

// Token returns the form token for this browser, setting the nonce cookie when missing.
func (g Guard) Token(w http.ResponseWriter, r *http.Request) string {
	nonce := ""
	if c, err := r.Cookie(g.Cookie); err == nil && len(c.Value) >= 22 {
		nonce = c.Value
	} else {
		b := make([]byte, 24)
		rand.Read(b)
		nonce = base64.RawURLEncoding.EncodeToString(b)
		path := g.Path
		if path == "" {
			path = "/"
		}
		http.SetCookie(w, &http.Cookie{Name: g.Cookie, Value: nonce, Path: path, HttpOnly: true, Secure: g.Secure, SameSite: http.SameSiteStrictMode})
		r.AddCookie(&http.Cookie{Name: g.Cookie, Value: nonce})
	}
	return g.mac(nonce)
}

func (g Guard) mac(nonce string) string {
	m := hmac.New(sha256.New, g.Key)
	m.Write([]byte(nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Check reports whether a parsed POST comes from this site's form.
func (g Guard) Check(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" && o != g.Origin {
		return false
	}
	c, err := r.Cookie(g.Cookie)
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(r.PostFormValue(Field)), []byte(g.mac(c.Value))) == 1
}
