package console

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sspr/sspr/internal/htmlpage"
)

// flashCookie carries one status line across a POST-redirect-GET: an action sets it before its
// 303, the page it leads to shows it once and clears it, so a reload neither resubmits the
// action nor repeats the line.
const flashCookie = "sspr_console_flash"

// flash is the status line of the action just done: catalog keys, written in the language of
// the page that shows it.
type flash struct {
	Notice string `json:"n,omitempty"` // a catalog key
	Error  string `json:"e,omitempty"` // a catalog key
	// List is the texts' argument {0}: values (field names, a directory's reason) written
	// with the catalog's texts under ListPrefix, joined as a list.
	List       []string `json:"l,omitempty"`
	ListPrefix string   `json:"p,omitempty"`
	Detail     []string `json:"d,omitempty"` // English notes of package admin, shown as they are
}

func (s *Server) flashSlot() htmlpage.Cookie {
	return htmlpage.Cookie{Name: flashCookie, Path: Prefix, Secure: s.secure}
}

// flashTag authenticates a flash's payload, so that a cookie set by anyone but this server
// (a sibling subdomain) shows nothing.
func (s *Server) flashTag(payload string) string {
	m := hmac.New(sha256.New, s.cfg.CSRFKey)
	m.Write([]byte("sspr console flash\x00" + payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// redirect ends an action: the status line in the flash cookie, then 303 to the page at path.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, path string, f flash) {
	s.dropAssessor() // the action may have changed what readiness depends on
	b, _ := json.Marshal(f)
	payload := base64.RawURLEncoding.EncodeToString(b)
	s.flashSlot().Set(w, payload+"."+s.flashTag(payload), time.Minute)
	http.Redirect(w, r, path, http.StatusSeeOther)
}

// takeFlash returns the status line an action left for this page and clears it; the zero
// flash when there is none or it was not set by this server.
func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request) flash {
	v := s.flashSlot().Value(r)
	if v == "" {
		return flash{}
	}
	s.flashSlot().Clear(w)
	payload, tag, ok := strings.Cut(v, ".")
	if !ok || !hmac.Equal([]byte(tag), []byte(s.flashTag(payload))) {
		return flash{}
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	var f flash
	if err != nil || json.Unmarshal(b, &f) != nil {
		return flash{}
	}
	return f
}

// userPath is the user page of upn.
func userPath(upn string) string { return Prefix + "/users/" + url.PathEscape(upn) }
