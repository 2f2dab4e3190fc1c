package register

import (
	"context"

	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sspr/sspr/internal/email"
	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/i18n"
	"github.com/sspr/sspr/internal/phone"
	"github.com/sspr/sspr/internal/questions"
	"github.com/sspr/sspr/internal/store"
)

// Kind is the sessions' kind.
const Kind = "register"

// Store is what the portal needs of the store.
type Store interface {
	UserByUPN(ctx context.Context, upn string) (store.User, error)
	store.Sessions
	store.Codes
	store.Throttles
	store.Updates
	store.Answers
	store.Audit
}

// Directory checks a user's password (writeback.Directory).
type Directory interface {
	// Authenticate binds as the user. Its errors carry Reason() (wrongPassword, locked,
	// mustChange, disabled, expired, notPermitted, unavailable).
	Authenticate(ctx context.Context, userDN, password string) error
	IsMember(ctx context.Context, userDN, groupDN string) (bool, error)
}

// Config is the Service's wiring.
type Config struct {
	Policy Policy
	// Reset is the reset policy: the methods users register for, methods required, codes and
	// throttles (shared with the reset flow: the same SMS budget per user), questions.
	Reset flow.Policy
	// Questions and Hasher as the reset flow's (nil: defaults from Reset.Questions).
	Questions *questions.Catalog
	Hasher    *questions.Hasher
	// Phones normalizes numbers exactly as the sync does (phone.defaultRegion).
	Phones *phone.Normalizer
	// CodeKey keys the codes' HMAC; NameKey the throttle subject of names that match nobody.
	CodeKey, NameKey []byte
	CompanyName      string
	PublicURL        string
	// Texts is the message catalog (nil: the built-in one).
	Texts *i18n.Bundle
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Metrics records the steps and registrations (nil: nothing is recorded).
	Metrics *flow.Metrics
}

// Service runs the registration portal. Safe for concurrent use.
type Service struct {
	st   Store
	send flow.Sender
	dir  Directory
	cfg  Config
	log  *slog.Logger
	now  func() time.Time

	sessions flow.Sessions
}

// New builds a Service.
func New(st Store, send flow.Sender, dir Directory, cfg Config, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Policy = cfg.Policy.WithDefaults()
	cfg.Reset = cfg.Reset.WithDefaults()
	if cfg.Questions == nil {
		c, err := questions.NewCatalog(cfg.Reset.Questions.Custom)
		if err != nil {
			log.Error("custom security questions ignored", "err", err)
			c, _ = questions.NewCatalog(nil)
		}
		cfg.Questions = c
	}
	if cfg.Hasher == nil {
		cfg.Hasher = questions.NewHasher(questions.HasherOptions{MaxConcurrent: cfg.Reset.Questions.MaxConcurrentHashes})
	}
	if cfg.Phones == nil {
		cfg.Phones, _ = phone.NewNormalizer("")
	}
	return &Service{st: st, send: send, dir: dir, cfg: cfg, log: log, now: cfg.Now,
		sessions: flow.Sessions{Store: st, Expired: ErrNoSession}}
}

// codes is the code lifecycle under the reset policy (the same lengths, attempts and lifetime).
func (s *Service) codes() flow.Codes {
	p := s.cfg.Reset
	return flow.Codes{Store: s.st, Key: s.cfg.CodeKey, Length: p.CodeLength, MaxAttempts: p.CodeMaxAttempts, Lifetime: p.CodeLifetime}
}

// Questions returns the catalog users choose from.
func (s *Service) Questions() *questions.Catalog { return s.cfg.Questions }

// Policy returns the effective registration policy.
func (s *Service) Policy() Policy { return s.cfg.Policy }

// Field is the view of authenticationPhone or authenticationEmail.
type Field struct {
	Enabled bool // the policy has a method that uses it
	// Value is the registered value ("" when none). The signed-in user sees their own values.
	Value string
	// Prefill is what the form shows: Value, else the directory's (mobilePhone, the first
	// alternateEmails) at first registration.
	Prefill string
	// Pending is the masked destination a code was sent to, awaiting the code ("" when none);
	// Channel is how it went: sms, voice or email.
	Pending string
	Channel string
}

// QuestionsView is what the user sees of their security questions.
type QuestionsView struct {
	Enabled  bool // the policy has questions and the user is not privileged
	Register int  // how many to register
	Count    int  // how many are registered
	// Keys are the questions the user chose (their own; never shown to anyone else).
	Keys         []string
	RegisteredAt *time.Time
}

// View is the portal's page for a signed-in user.
type View struct {
	UserPrincipalName string
	DisplayName       string
	Phone             Field
	Email             Field
	Questions         QuestionsView
	// Required is how many methods a complete registration has; Registered how many it has.
	Required   int
	Registered int
	// FirstTime: nothing registered yet. Reconfirm: the registration is older than the
	// re-confirmation interval: the user is asked to confirm it.
	FirstTime bool
	Reconfirm bool
	// Complete: enough is registered to confirm.
	Complete bool
}

// state is the session's State.
type state struct {
	UPN           string    `json:"upn"`
	Subject       string    `json:"subject"` // throttle subject, "u:<id>", as the reset flow's
	Strict        bool      `json:"strict"`  // privileged: no questions, two methods
	SignedIn      time.Time `json:"signedIn"`
	Reconfirm     bool      `json:"reconfirm"`
	PendingPhone  string    `json:"pendingPhone,omitempty"` // canonical number a code was sent to
	PhoneChannel  string    `json:"phoneChannel,omitempty"`
	PendingEmail  string    `json:"pendingEmail,omitempty"`
	QuestionsDone bool      `json:"questionsDone,omitempty"` // set in this session
	// Lang is the language of the user's pages, last seen: the messages are in it.
	Lang string `json:"lang,omitempty"`
}

// lang is the language of the messages of a step: the step's page's, else the session's.
func lang(st *state, c flow.Client) string {
	if c.Lang != "" {
		st.Lang = c.Lang
	}
	return st.Lang
}

// texts composes the messages (codes, notices) in the user's language.
func (s *Service) texts() flow.Texts {
	return flow.Texts{Bundle: s.cfg.Texts, Company: s.cfg.CompanyName, PublicURL: s.cfg.PublicURL}
}

func userErr(k flow.Kind, key string, args ...any) *flow.Error { return flow.Errorf(k, key, args...) }

// ErrNoSession: not signed in, or the session ended (sign-out, inactivity, lifetime).
var ErrNoSession = userErr(flow.KindSession, "register.session.expired")

// ProblemsError lists what is wrong with the security questions submitted.
type ProblemsError struct{ Problems []questions.Problem }

func (e *ProblemsError) Error() string {
	return fmt.Sprintf("register: %d problems with the questions", len(e.Problems))
}

func (s *Service) audit(ctx context.Context, typ string, upn, userID string, c flow.Client, details map[string]string) {
	e := &store.AuditEvent{Time: s.now().UTC(), Type: typ, Actor: "user", UserID: userID, UserPrincipalName: upn,
		ClientIP: c.IP, UserAgent: truncate(c.UserAgent, 256), Details: details}
	if err := s.st.AppendAudit(ctx, e); err != nil {
		s.log.Error("audit", "type", typ, "err", err)
	}
}

func (s *Service) nameKey(name string) string { return flow.NameKey(s.cfg.NameKey, name) }

// SignIn checks the user's directory password and opens a registration session. A name that
// matches no enabled user fails exactly as a wrong password does.
func (s *Service) SignIn(ctx context.Context, name, password string, c flow.Client) (string, View, error) {
	token, v, err := s.signIn(ctx, name, password, c)
	s.cfg.Metrics.Step(flow.FlowRegister, "signin", "", err) // an unknown name as a wrong password
	return token, v, err
}

// outcome records a registration (authenticationPhone, authenticationEmail, questions,
// confirmed): its metric and its one log line (the user's name and the client IP, never the
// value registered).
func (s *Service) outcome(what string, u store.User, c flow.Client) {
	s.cfg.Metrics.Registration(what)
	s.log.LogAttrs(context.Background(), slog.LevelInfo, "flow outcome", slog.String("flow", flow.FlowRegister),
		slog.String("outcome", what), slog.String("user", u.UserPrincipalName), slog.String("clientIP", c.IP))
}

func (s *Service) signIn(ctx context.Context, name, password string, c flow.Client) (string, View, error) {
	name = strings.TrimSpace(name)
	if name == "" || password == "" {
		return "", View{}, userErr(flow.KindSignIn, "signin.required")
	}
	if utf8.RuneCountInString(name) > 256 || !utf8.ValidString(name) || len(password) > 1024 {
		return "", View{}, userErr(flow.KindSignIn, "signin.failed")
	}
	now := s.now().UTC()
	t := s.cfg.Reset.Throttle
	if err := flow.Enforce(ctx, s.st, flow.IPKey(c, "signin"), t.StartsIP, now); err != nil {
		s.audit(ctx, "register.throttled", name, "", c, map[string]string{"step": "signin", "scope": "ip"})
		return "", View{}, err
	}
	u, err := s.st.UserByUPN(ctx, name)
	known := err == nil && u.AccountEnabled && u.DN != ""
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", View{}, fmt.Errorf("register: look up user: %w", err)
	}
	subject, userID, upn := "n:"+s.nameKey(name), "", name
	if known {
		subject, userID, upn = "u:"+u.ID, u.ID, u.UserPrincipalName
	}
	failed := []flow.Counter{{Key: subject + ":signin", Limit: t.FailedProofs}, {Key: flow.IPKey(c, "signin-failed"), Limit: t.FailedProofsIP}}
	if err := flow.CheckLocks(ctx, s.st, now, failed[0].Key, failed[1].Key); err != nil {
		s.audit(ctx, "register.throttled", upn, userID, c, map[string]string{"step": "signin"})
		return "", View{}, err
	}
	// Unknown names bind too, as a name that cannot exist: the same directory work, and a
	// directory outage answers the same for both ("cannot be reached").
	bindDN := "cn=sspr-nobody-" + s.nameKey(name)
	if known {
		bindDN = u.DN
	}
	reason := ""
	if err := s.dir.Authenticate(ctx, bindDN, password); err != nil {
		reason = reasonOf(err)
		if known {
			s.log.Info("registration sign-in refused", "user", u.UserPrincipalName, "reason", reason, "err", err)
		}
	}
	if !known && reason != "unavailable" {
		reason = "wrongPassword"
	}
	// What is shown must not be shown only to existing names unless the password was proved.
	// AD says locked (775) whatever the password, and Samba may say disabled (533) so too:
	// both read as a wrong password, whose message mentions a locked account and links to
	// unlock. Must change (773) and expired (532, 701) come only with the right password.
	if reason == "locked" || reason == "disabled" {
		reason = "wrongPassword"
	}
	outcome := reason
	switch {
	case outcome == "":
		outcome = "ok"
	case !known && reason == "wrongPassword":
		outcome = "unknownName"
	}
	s.audit(ctx, "register.signin", upn, userID, c, map[string]string{"outcome": outcome})
	switch reason {
	case "":
	case "wrongPassword":
		if hit, until, err := flow.Failure(ctx, s.st, now, failed...); err != nil {
			return "", View{}, fmt.Errorf("register: %w", err)
		} else if !until.IsZero() {
			s.audit(ctx, "register.lockedOut", upn, userID, c, map[string]string{"until": until.Format(time.RFC3339)})
			scope := "user"
			if strings.HasPrefix(hit.Key, "ip:") {
				scope = "ip"
			}
			s.cfg.Metrics.Lockout(flow.FlowRegister, scope)
			return "", View{}, flow.Locked(until)
		}
		e := userErr(flow.KindSignIn, "signin.failed")
		e.Reason = reason
		return "", View{}, e
	default:
		e := userErr(flow.KindSignIn, "signin."+reason)
		e.Reason = reason
		return "", View{}, e
	}
	if err := s.st.ClearThrottles(ctx, subject+":signin"); err != nil {
		s.log.Error("clear throttles", "err", err)
	}
	st := &state{UPN: u.UserPrincipalName, Subject: subject, SignedIn: now, Lang: c.Lang,
		Strict: flow.Privileged(ctx, s.dir, s.cfg.Reset.AdminGroups, u, s.log).Privileged}
	if st.Reconfirm, err = s.reconfirmDue(ctx, u, now); err != nil {
		return "", View{}, err
	}
	token, _, err := s.sessions.Create(ctx, Kind, u.ID, st, now, s.expiry(st, now))
	if err != nil {
		return "", View{}, fmt.Errorf("register: %w", err)
	}
	return token, s.view(st, u), nil
}

// reasonOf is the Reason of a directory error, among those the sign-in page explains.
func reasonOf(err error) string {
	var r interface{ Reason() string }
	if errors.As(err, &r) {
		switch reason := r.Reason(); reason {
		case "wrongPassword", "locked", "mustChange", "disabled", "expired", "notPermitted", "unavailable":
			return reason
		case "notFound":
			return "wrongPassword"
		}
	}
	return "error"
}

// registered reports whether the user registered anything.
func registered(u store.User) bool {
	return u.AuthenticationPhone != "" || u.AuthenticationEmail != "" || u.SecurityQuestionsCount > 0
}

// reconfirmDue: the user registered, and has not confirmed it within the interval. The last
// confirmation is the newest register.confirmed audit event (a renamed user is asked again).
func (s *Service) reconfirmDue(ctx context.Context, u store.User, now time.Time) (bool, error) {
	every := s.cfg.Policy.Reconfirm()
	if every == 0 || !registered(u) {
		return false, nil
	}
	found := false
	err := s.st.ListAudit(ctx, store.AuditFilter{UserPrincipalName: u.UserPrincipalName, TypePrefix: "register.confirmed",
		Since: now.Add(-every), Limit: 1}, func(store.AuditEvent) error {
		found = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("register: last confirmation: %w", err)
	}
	return !found, nil
}

// expiry is the session's end: IdleTimeout from now, never past SessionLifetime from sign-in.
func (s *Service) expiry(st *state, now time.Time) time.Time {
	idle := now.Add(s.cfg.Policy.IdleTimeout)
	if end := st.SignedIn.Add(s.cfg.Policy.SessionLifetime); end.Before(idle) {
		return end
	}
	return idle
}

// load finds the session, checks it still belongs to an enabled user, and extends it by the
// idle timeout (every request counts as activity).
func (s *Service) load(ctx context.Context, token string) (*store.Session, *state, store.User, error) {
	st := &state{}
	sess, err := s.sessions.Load(ctx, token, s.now().UTC(), st, Kind)
	if err != nil {
		return nil, nil, store.User{}, err
	}
	u, err := s.st.UserByUPN(ctx, st.UPN)
	if err != nil || u.ID != sess.UserID || !u.AccountEnabled {
		_ = s.st.DeleteSession(ctx, sess.ID)
		return nil, nil, store.User{}, ErrNoSession
	}
	return sess, st, u, nil
}

// save stores the state and extends the session.
func (s *Service) save(ctx context.Context, sess *store.Session, st *state) error {
	sess.ExpiresAt = s.expiry(st, s.now().UTC())
	return s.sessions.Save(ctx, sess, st)
}

// View returns the signed-in user's registration, and counts as activity.
func (s *Service) View(ctx context.Context, token string) (View, error) {
	sess, st, u, err := s.load(ctx, token)
	if err != nil {
		return View{}, err
	}
	if err := s.save(ctx, sess, st); err != nil && !flow.IsKind(err, flow.KindConflict) {
		return View{}, err // a concurrent request extended it: fine
	}
	return s.view(st, u), nil
}

func (s *Service) phoneEnabled() bool {
	return slices.Contains(s.cfg.Reset.Methods, flow.MethodSMS) || slices.Contains(s.cfg.Reset.Methods, flow.MethodVoice)
}

func (s *Service) emailEnabled() bool { return slices.Contains(s.cfg.Reset.Methods, flow.MethodEmail) }

func (s *Service) questionsEnabled(st *state) bool {
	return !st.Strict && slices.Contains(s.cfg.Reset.Methods, flow.MethodQuestions)
}

func (s *Service) view(st *state, u store.User) View {
	v := View{UserPrincipalName: u.UserPrincipalName, DisplayName: u.DisplayName, Reconfirm: st.Reconfirm, FirstTime: !registered(u)}
	v.Phone = Field{Enabled: s.phoneEnabled(), Value: u.AuthenticationPhone, Prefill: u.AuthenticationPhone}
	if v.Phone.Prefill == "" && u.MobilePhone.Usable() {
		v.Phone.Prefill = u.MobilePhone.Number
	}
	if st.PendingPhone != "" {
		v.Phone.Pending, v.Phone.Channel = phone.Mask(st.PendingPhone), st.PhoneChannel
	}
	v.Email = Field{Enabled: s.emailEnabled(), Value: u.AuthenticationEmail, Prefill: u.AuthenticationEmail}
	if v.Email.Prefill == "" && len(u.AlternateEmails) > 0 {
		v.Email.Prefill = u.AlternateEmails[0]
	}
	if st.PendingEmail != "" {
		v.Email.Pending, v.Email.Channel = email.Mask(st.PendingEmail), flow.MethodEmail
	}
	q := s.cfg.Reset.Questions
	v.Questions = QuestionsView{Enabled: s.questionsEnabled(st), Register: q.Register, Count: u.SecurityQuestionsCount,
		RegisteredAt: u.SecurityQuestionsRegisteredAt}
	methods := 0
	for _, m := range []struct {
		on, done bool
	}{{v.Phone.Enabled, u.AuthenticationPhone != ""}, {v.Email.Enabled, u.AuthenticationEmail != ""},
		{v.Questions.Enabled, u.SecurityQuestionsCount >= q.Register}} {
		if m.on {
			methods++
			if m.done {
				v.Registered++
			}
		}
	}
	v.Required = s.cfg.Reset.MethodsRequired
	if st.Strict {
		v.Required = 2
	}
	v.Required = min(v.Required, methods)
	v.Complete = v.Registered >= v.Required && v.Required > 0
	return v
}

// withKeys adds the user's own chosen questions to the view (the questions page only).
func (s *Service) withKeys(ctx context.Context, v View, u store.User) (View, error) {
	answers, err := s.st.SecurityAnswers(ctx, u.ID)
	if err != nil {
		return v, fmt.Errorf("register: security answers: %w", err)
	}
	for _, a := range answers {
		v.Questions.Keys = append(v.Questions.Keys, a.QuestionKey)
	}
	return v, nil
}

// QuestionsView is View with the questions the user chose, for the page where they change them.
func (s *Service) QuestionsView(ctx context.Context, token string) (View, error) {
	sess, st, u, err := s.load(ctx, token)
	if err != nil {
		return View{}, err
	}
	if err := s.save(ctx, sess, st); err != nil && !flow.IsKind(err, flow.KindConflict) {
		return View{}, err
	}
	return s.withKeys(ctx, s.view(st, u), u)
}

// SignOut ends the session.
func (s *Service) SignOut(ctx context.Context, token string, c flow.Client) error {
	sess, st, u, err := s.load(ctx, token)
	if errors.Is(err, ErrNoSession) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := s.st.DeleteSession(ctx, sess.ID); err != nil {
		return fmt.Errorf("register: end session: %w", err)
	}
	s.audit(ctx, "register.signout", st.UPN, u.ID, c, nil)
	return nil
}

// Confirm records that the user confirmed their registration (first registration or
// re-confirmation) and ends the session. The registration must be complete.
func (s *Service) Confirm(ctx context.Context, token string, c flow.Client) error {
	err := s.confirm(ctx, token, c)
	s.cfg.Metrics.Step(flow.FlowRegister, "confirm", "", err)
	return err
}

func (s *Service) confirm(ctx context.Context, token string, c flow.Client) error {
	sess, st, u, err := s.load(ctx, token)
	if err != nil {
		return err
	}
	v := s.view(st, u)
	if !v.Complete {
		return userErr(flow.KindInput, "register.incomplete", v.Required)
	}
	s.audit(ctx, "register.confirmed", u.UserPrincipalName, u.ID, c, map[string]string{
		"methods": strconv.Itoa(v.Registered), "reconfirmation": strconv.FormatBool(st.Reconfirm)})
	s.outcome("confirmed", u, c)
	if err := s.st.DeleteSession(ctx, sess.ID); err != nil {
		return fmt.Errorf("register: end session: %w", err)
	}
	return nil
}

// notify mails the user's addresses (and extra ones: an old authentication email) that their
// registration changed. Phones are never messaged for this.
func (s *Service) notify(ctx context.Context, lang string, u store.User, what string, extra ...string) {
	subject, body := s.texts().Notice(lang, "registration", u.UserPrincipalName, s.now(), what)
	seen := map[string]bool{}
	for _, to := range append(append([]string{u.AuthenticationEmail}, extra...), u.AlternateEmails...) {
		if to == "" || seen[strings.ToLower(to)] {
			continue
		}
		seen[strings.ToLower(to)] = true
		m := flow.Message{Channel: flow.MethodEmail, To: to, Subject: subject, Body: body, Language: s.texts().Lang(lang)}
		if err := s.send.Send(ctx, m); err != nil {
			s.log.Error("queue notification", "err", err)
		}
	}
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// Ensure the email package's rules are the ones used for authenticationEmail.
var validEmail = email.Validate
