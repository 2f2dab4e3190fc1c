package resetpages

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

var (
	csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	// OptionRE finds the methods page's options; the first group is an option's value.
	OptionRE = regexp.MustCompile(`name="option" id="option-[a-z-]+" value="([a-z-]+)"`)
	// AlertRE finds a page's alert (a refusal); the first group is its text.
	AlertRE = regexp.MustCompile(`(?s)role="alert"[^>]*>(.*?)<`)
)

// Observer is told of each response: the request's method and path, the response (its body
// already read and closed) and the time from sending the request to the end of its body.
type Observer func(method, path string, resp *http.Response, took time.Duration)

// Browser is one browser on sspr's reset pages.
type Browser struct {
	c       *http.Client
	base    string
	csrf    string
	observe Observer
	// Header is sent with every request (X-Forwarded-For, say); empty by default.
	Header http.Header
}

// New opens a session on the server at base (GET /reset) with client c, which should have
// its own cookie jar and follow no redirect; observe, when not nil, is told of every response.
func New(base string, c *http.Client, observe Observer) (*Browser, error) {
	b := &Browser{c: c, base: base, observe: observe, Header: http.Header{}}
	page, err := b.Do("GET", "/reset", nil)
	if err != nil {
		return nil, err
	}
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		return nil, errors.New("GET /reset: no CSRF token")
	}
	b.csrf = m[1]
	return b, nil
}

// Do sends one request, a form with the session's CSRF token when form is not nil, and
// returns the page; a status of 400 or more is an error (with the page).
func (b *Browser) Do(method, path string, form url.Values) (string, error) {
	var body io.Reader
	if form != nil {
		form.Set("csrf", b.csrf)
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		return "", err
	}
	for k, v := range b.Header {
		req.Header[k] = v
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	t0 := time.Now()
	resp, err := b.c.Do(req)
	if err != nil {
		return "", err
	}
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if b.observe != nil {
		b.observe(method, path, resp, time.Since(t0))
	}
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 400 {
		return string(page), fmt.Errorf("%s %s: %d", method, path, resp.StatusCode)
	}
	return string(page), nil
}

// Start is the first step for name: the name typed (POST /reset), the methods page (GET
// /reset/verify) and a code asked for by its first option (POST /reset/send).
func (b *Browser) Start(name string) error {
	if _, err := b.Do("POST", "/reset", url.Values{"username": {name}}); err != nil {
		return err
	}
	page, err := b.Do("GET", "/reset/verify", nil)
	if err != nil {
		return err
	}
	opt := OptionRE.FindStringSubmatch(page)
	if opt == nil {
		return errors.New("GET /reset/verify: no method offered")
	}
	_, err = b.Do("POST", "/reset/send", url.Values{"option": {opt[1]}})
	return err
}

// Complete proves code (sent by option) and sets password; a page that refuses it (an alert)
// is an error with the alert's text.
func (b *Browser) Complete(option, code, password string) error {
	if _, err := b.Do("POST", "/reset/code", url.Values{"option": {option}, "code": {code}}); err != nil {
		return err
	}
	page, err := b.Do("POST", "/reset/complete", url.Values{"password": {password}, "confirm": {password}})
	if err != nil {
		return err
	}
	if m := AlertRE.FindStringSubmatch(page); m != nil {
		return fmt.Errorf("complete refused: %s", strings.TrimSpace(m[1]))
	}
	return nil
}
