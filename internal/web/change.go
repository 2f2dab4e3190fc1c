package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/sspr/sspr/internal/change"
	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/password"
)

// Change is what the /change page drives (change.Service).
type Change interface {
	Change(ctx context.Context, name, current, newPassword string, c flow.Client) error
	PasswordPolicy() password.Policy
}

var _ Change = (*change.Service)(nil)

func (s *Server) changeRoutes() {
	s.mux.HandleFunc("GET /change", func(w http.ResponseWriter, r *http.Request) { s.renderChange(w, r, "", nil) })
	// Padded: the directory's work differs for known and unknown names.
	s.mux.HandleFunc("POST /change", s.padded(s.changePassword))
	s.mux.HandleFunc("GET /change/done", func(w http.ResponseWriter, r *http.Request) {
		p := s.newPage(w, r, change.Kind, "done.change.title")
		p.Body = p.Tr.T("done.change.body")
		s.render(w, "done", http.StatusOK, p)
	})
}

// renderChange shows the form: the rules first, then name, current password and the new one
// twice. A user error is shown with the links it calls for (reset for an expired password,
// unlock for a wrong password or a locked account).
func (s *Server) renderChange(w http.ResponseWriter, r *http.Request, name string, err *flow.Error) {
	p := s.newPage(w, r, change.Kind, "change.title")
	p.Intro, p.Name, p.Policy = p.Tr.T("change.intro"), name, s.cfg.Change.PasswordPolicy()
	if err != nil {
		p.Error = p.Tr.T(err.Key, err.Args...)
		p.Reg.ResetLink = err.Reason == "expired" || err.Reason == "mustChange"
		p.Reg.UnlockLink = err.Reason == "wrongPassword" || err.Kind == flow.KindThrottled
		switch {
		case err.Kind == flow.KindPassword:
			p.ErrorField = "password"
		case err.Kind == flow.KindInput || err.Kind == flow.KindSignIn:
			p.ErrorField = "current"
		}
	}
	s.render(w, "change", http.StatusOK, p)
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	if !s.post(w, r, change.Kind) {
		return
	}
	name := strings.TrimSpace(r.PostFormValue("username"))
	if r.PostFormValue("password") != r.PostFormValue("confirm") {
		s.renderChange(w, r, name, &flow.Error{Kind: flow.KindPassword, Key: "password.mismatch"})
		return
	}
	err := s.cfg.Change.Change(r.Context(), name, r.PostFormValue("current"), r.PostFormValue("password"), s.client(r))
	if ue := flow.AsError(err); ue != nil && ue.Kind != flow.KindForbidden {
		s.renderChange(w, r, name, ue)
		return
	}
	if err != nil {
		s.fail(w, r, change.Kind, err)
		return
	}
	http.Redirect(w, r, "/change/done", http.StatusSeeOther)
}
