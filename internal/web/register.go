package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/questions"
	"github.com/sspr/sspr/internal/register"
)

// Registration is what the registration portal's pages drive (register.Service).
type Registration interface {
	SignIn(ctx context.Context, name, password string, c flow.Client) (string, register.View, error)
	View(ctx context.Context, token string) (register.View, error)
	QuestionsView(ctx context.Context, token string) (register.View, error)
	SendPhoneCode(ctx context.Context, token, number string, c flow.Client) (register.View, error)
	VerifyPhone(ctx context.Context, token, code string, c flow.Client) (register.View, error)
	SendEmailCode(ctx context.Context, token, address string, c flow.Client) (register.View, error)
	VerifyEmail(ctx context.Context, token, code string, c flow.Client) (register.View, error)
	SetQuestions(ctx context.Context, token string, choices []questions.Choice, c flow.Client) error
	Confirm(ctx context.Context, token string, c flow.Client) error
	SignOut(ctx context.Context, token string, c flow.Client) error
	Questions() *questions.Catalog
	Policy() register.Policy
}

var _ Registration = (*register.Service)(nil)

// registerCookie holds the registration session; its path keeps it off the reset pages (and
// a reset session's cookie is another one).
const registerCookie = "sspr_register"

// registerPage is what the registration templates show.
type registerPage struct {
	View          register.View
	QuestionsDate string
	// Questions page: one slot per question to register, the catalog to choose from.
	Slots   []slot
	Choices []questionItem
	// Reset and unlock links for the sign-in errors that need them.
	ResetLink, UnlockLink bool
}

type slot struct {
	Number int
	Key    string // chosen (kept when the form comes back with problems)
	Error  string
}

func (s *Server) registrationRoutes() {
	s.mux.HandleFunc("GET /register", s.signInPage)
	s.mux.HandleFunc("POST /register", s.padded(s.signIn))
	s.mux.HandleFunc("GET /register/profile", s.profilePage)
	s.mux.HandleFunc("POST /register/phone", s.regAction(func(r *http.Request, tok string) (register.View, error) {
		return s.cfg.Registration.SendPhoneCode(r.Context(), tok, r.PostFormValue("phone"), s.client(r))
	}, "phone", ""))
	s.mux.HandleFunc("POST /register/phone/verify", s.regAction(func(r *http.Request, tok string) (register.View, error) {
		return s.cfg.Registration.VerifyPhone(r.Context(), tok, r.PostFormValue("code"), s.client(r))
	}, "phone-code", "phone"))
	s.mux.HandleFunc("POST /register/email", s.regAction(func(r *http.Request, tok string) (register.View, error) {
		return s.cfg.Registration.SendEmailCode(r.Context(), tok, r.PostFormValue("email"), s.client(r))
	}, "email", ""))
	s.mux.HandleFunc("POST /register/email/verify", s.regAction(func(r *http.Request, tok string) (register.View, error) {
		return s.cfg.Registration.VerifyEmail(r.Context(), tok, r.PostFormValue("code"), s.client(r))
	}, "email-code", "email"))
	s.mux.HandleFunc("GET /register/questions", s.questionsPage)
	s.mux.HandleFunc("POST /register/questions", s.setQuestions)
	s.mux.HandleFunc("POST /register/confirm", s.confirm)
	s.mux.HandleFunc("POST /register/signout", s.signOut)
	s.mux.HandleFunc("GET /register/done", func(w http.ResponseWriter, r *http.Request) {
		p := s.newPage(w, r, register.Kind, "done.register.title")
		p.Body = p.Tr.T("done.register.body")
		s.render(w, "done", http.StatusOK, p)
	})
}

func registerToken(r *http.Request) string {
	c, err := r.Cookie(registerCookie)
	if err != nil {
		return ""
	}
	return c.Value
}

func (s *Server) setRegisterCookie(w http.ResponseWriter, token string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: registerCookie, Value: token, Path: "/register", HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteStrictMode, MaxAge: maxAge})
}

func (s *Server) signInPage(w http.ResponseWriter, r *http.Request) {
	if tok := registerToken(r); tok != "" {
		if _, err := s.cfg.Registration.View(r.Context(), tok); err == nil {
			http.Redirect(w, r, "/register/profile", http.StatusSeeOther)
			return
		}
	}
	s.renderSignIn(w, r, "", nil)
}

func (s *Server) renderSignIn(w http.ResponseWriter, r *http.Request, name string, err *flow.Error) {
	p := s.newPage(w, r, register.Kind, "register.title")
	p.Intro, p.Name = p.Tr.T("register.intro"), name
	if err != nil {
		p.Error = p.Tr.T(err.Key, err.Args...)
		p.Reg.ResetLink = err.Reason == "mustChange" || err.Reason == "expired"
		p.Reg.UnlockLink = err.Reason == "locked" || err.Reason == "wrongPassword"
	}
	s.render(w, "signin", http.StatusOK, p)
}

func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	if !s.post(w, r, register.Kind) {
		return
	}
	name := r.PostFormValue("username")
	token, _, err := s.cfg.Registration.SignIn(r.Context(), name, r.PostFormValue("password"), s.client(r))
	if ue := flow.AsError(err); ue != nil && (ue.Kind == flow.KindSignIn || ue.Kind == flow.KindThrottled) {
		s.renderSignIn(w, r, strings.TrimSpace(name), ue)
		return
	}
	if err != nil {
		s.fail(w, r, register.Kind, err)
		return
	}
	s.setRegisterCookie(w, token, int(s.cfg.Registration.Policy().SessionLifetime.Seconds()))
	http.Redirect(w, r, "/register/profile", http.StatusSeeOther)
}

func (s *Server) profilePage(w http.ResponseWriter, r *http.Request) {
	v, err := s.cfg.Registration.View(r.Context(), registerToken(r))
	if err != nil {
		s.regFail(w, r, err)
		return
	}
	switch r.URL.Query().Get("change") {
	case "phone":
		v.Phone.Pending = ""
	case "email":
		v.Email.Pending = ""
	}
	notice := ""
	if saved := r.URL.Query().Get("saved"); saved == "phone" || saved == "email" || saved == "questions" {
		notice = "register.saved." + saved
	}
	s.renderProfile(w, r, v, notice, "", nil)
}

func (s *Server) renderProfile(w http.ResponseWriter, r *http.Request, v register.View, notice, field string, err *flow.Error) {
	p := s.newPage(w, r, register.Kind, "register.profile.title")
	p.Reg.View = v
	if at := v.Questions.RegisteredAt; at != nil && v.Questions.Count > 0 {
		p.Reg.QuestionsDate = p.Tr.Date(*at)
	}
	switch {
	case notice != "":
		p.Notice = p.Tr.T(notice)
	case v.Reconfirm:
		p.Notice = p.Tr.T("register.reconfirm")
	case v.FirstTime:
		p.Notice = p.Tr.T("register.firstTime")
	}
	if err != nil {
		p.Error, p.ErrorField = p.Tr.T(err.Key, err.Args...), field
	}
	s.render(w, "register", http.StatusOK, p)
}

// regFail: a session that ended sends the user back to sign in, saying why.
func (s *Server) regFail(w http.ResponseWriter, r *http.Request, err error) {
	if flow.IsKind(err, flow.KindSession) {
		s.setRegisterCookie(w, "", -1)
		if registerToken(r) == "" {
			http.Redirect(w, r, "/register", http.StatusSeeOther)
			return
		}
	}
	s.fail(w, r, register.Kind, err)
}

// regAction runs a profile form's action: on success back to the profile (saved=what when a
// value was saved), on a user error the profile again with the error at the field.
func (s *Server) regAction(do func(r *http.Request, token string) (register.View, error), field, saved string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.post(w, r, register.Kind) {
			return
		}
		token := registerToken(r)
		_, err := do(r, token)
		if ue := flow.AsError(err); ue != nil && ue.Kind != flow.KindSession && ue.Kind != flow.KindConflict {
			v, verr := s.cfg.Registration.View(r.Context(), token)
			if verr != nil {
				s.regFail(w, r, verr)
				return
			}
			s.renderProfile(w, r, v, "", field, ue)
			return
		}
		if err != nil {
			s.regFail(w, r, err)
			return
		}
		to := "/register/profile"
		if saved != "" {
			to += "?saved=" + saved
		}
		http.Redirect(w, r, to+"#"+strings.SplitN(field, "-", 2)[0], http.StatusSeeOther)
	}
}

func (s *Server) questionsPage(w http.ResponseWriter, r *http.Request) {
	v, err := s.cfg.Registration.QuestionsView(r.Context(), registerToken(r))
	if err != nil {
		s.regFail(w, r, err)
		return
	}
	if !v.Questions.Enabled {
		http.Redirect(w, r, "/register/profile", http.StatusSeeOther)
		return
	}
	s.renderQuestions(w, r, v, v.Questions.Keys, nil)
}

func (s *Server) renderQuestions(w http.ResponseWriter, r *http.Request, v register.View, chosen []string, problems []questions.Problem) {
	p := s.newPage(w, r, register.Kind, "register.questions.title")
	p.Reg.View = v
	cat := s.cfg.Registration.Questions()
	for _, k := range cat.Keys() {
		p.Reg.Choices = append(p.Reg.Choices, questionItem{Key: k, Text: questionText(p.Tr, cat, k)})
	}
	for i := range v.Questions.Register {
		sl := slot{Number: i + 1}
		if i < len(chosen) {
			sl.Key = chosen[i]
		}
		p.Reg.Slots = append(p.Reg.Slots, sl)
	}
	for _, pr := range problems {
		msg := p.Tr.T(pr.Key, pr.Args...)
		if pr.Index < 0 || pr.Index >= len(p.Reg.Slots) {
			p.Error = msg
			continue
		}
		if sl := &p.Reg.Slots[pr.Index]; sl.Error == "" {
			sl.Error = msg
		} else {
			sl.Error += " " + msg
		}
	}
	if len(problems) > 0 && p.Error == "" {
		p.Error = p.Tr.T("register.questions.problems")
	}
	s.render(w, "questions", http.StatusOK, p)
}

func (s *Server) setQuestions(w http.ResponseWriter, r *http.Request) {
	if !s.post(w, r, register.Kind) {
		return
	}
	token := registerToken(r)
	keys, answers := r.PostForm["question"], r.PostForm["answer"]
	var choices []questions.Choice
	for i := range max(len(keys), len(answers)) {
		var ch questions.Choice
		if i < len(keys) {
			ch.Key = keys[i]
		}
		if i < len(answers) {
			ch.Answer = answers[i]
		}
		choices = append(choices, ch)
	}
	err := s.cfg.Registration.SetQuestions(r.Context(), token, choices, s.client(r))
	var pe *register.ProblemsError
	ue := flow.AsError(err)
	switch {
	case errors.As(err, &pe):
		v, verr := s.cfg.Registration.QuestionsView(r.Context(), token)
		if verr != nil {
			s.regFail(w, r, verr)
			return
		}
		s.renderQuestions(w, r, v, keys, pe.Problems)
	case ue != nil && ue.Kind == flow.KindInput:
		v, verr := s.cfg.Registration.QuestionsView(r.Context(), token)
		if verr != nil {
			s.regFail(w, r, verr)
			return
		}
		s.renderQuestions(w, r, v, keys, []questions.Problem{{Index: -1, Key: ue.Key}})
	case err != nil:
		s.regFail(w, r, err)
	default:
		http.Redirect(w, r, "/register/profile?saved=questions#questions", http.StatusSeeOther)
	}
}

func (s *Server) confirm(w http.ResponseWriter, r *http.Request) {
	if !s.post(w, r, register.Kind) {
		return
	}
	token := registerToken(r)
	err := s.cfg.Registration.Confirm(r.Context(), token, s.client(r))
	if ue := flow.AsError(err); ue != nil && ue.Kind == flow.KindInput {
		v, verr := s.cfg.Registration.View(r.Context(), token)
		if verr != nil {
			s.regFail(w, r, verr)
			return
		}
		s.renderProfile(w, r, v, "", "confirm", ue)
		return
	}
	if err != nil {
		s.regFail(w, r, err)
		return
	}
	s.setRegisterCookie(w, "", -1)
	http.Redirect(w, r, "/register/done", http.StatusSeeOther)
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	if !s.post(w, r, register.Kind) {
		return
	}
	if err := s.cfg.Registration.SignOut(r.Context(), registerToken(r), s.client(r)); err != nil {
		s.log.Error("sign out", "err", err)
	}
	s.setRegisterCookie(w, "", -1)
	http.Redirect(w, r, "/register", http.StatusSeeOther)
}
