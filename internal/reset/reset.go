package reset

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/i18n"
	"github.com/sspr/sspr/internal/password"
	"github.com/sspr/sspr/internal/phone"
	"github.com/sspr/sspr/internal/questions"
	"github.com/sspr/sspr/internal/store"
)

// Flow kinds.
const (
	KindReset  = "reset"
	KindUnlock = "unlock"
)

// Store is what the flows need of the store.
type Store interface {
	store.Sessions
	store.Codes
	store.Throttles
	// Steps writes a step's session, throttles and audit together; StepReads reads a session
	// with its user, and counts a start with its user and recent contact changes
	// (reset.newContactCooldown) (one round trip each on PostgreSQL).
	store.Steps
	store.StepReads
	AppendAudit(ctx context.Context, e *store.AuditEvent) error
	// SecurityAnswers returns the user's registered questions and answer hashes.
	SecurityAnswers(ctx context.Context, userID string) ([]store.SecurityAnswer, error)
}

// Directory writes passwords back and unlocks accounts. Its errors may implement
// `Reason() string` (tooShort, complexity, history, tooYoung, locked, notPermitted, unavailable),
// which becomes the message the user sees; the full error goes to the log.
type Directory interface {
	SetPassword(ctx context.Context, dn, password string) error
	// IsLocked tells whether the account is locked out now (an unlock of an account that is
	// not locked says so, after the proof).
	IsLocked(ctx context.Context, dn string) (bool, error)
	// Authenticate binds as the user: after a write whose answer was lost, it tells whether
	// the new password took effect.
	Authenticate(ctx context.Context, dn, password string) error
	Unlock(ctx context.Context, dn string) error
	IsMember(ctx context.Context, userDN, groupDN string) (bool, error)
}

func userErr(k flow.Kind, key string, args ...any) *flow.Error { return flow.Errorf(k, key, args...) }

// ErrNoSession: the session cookie is missing, unknown or expired; start again.
var ErrNoSession = userErr(flow.KindSession, "session.expired")

// Config is the Service's wiring.
type Config struct {
	Policy   flow.Policy
	Password password.Policy
	// CodeKey keys the codes' HMAC; DecoyKey derives hints for names that match nobody.
	CodeKey, DecoyKey []byte
	// DefaultCountryCode is used in decoy phone hints (the directory's usual country).
	DefaultCountryCode int
	// CompanyName appears in messages.
	CompanyName string
	// PublicURL is the only base for links in messages (never the request's Host).
	PublicURL string
	// Texts is the message catalog the messages are composed from, in the flow's language
	// (nil: the built-in one).
	Texts *i18n.Bundle
	// Questions is the catalog of security questions (nil: the predefined ones and the
	// policy's custom ones); Hasher checks answers (nil: an unpeppered one sized by the policy).
	Questions *questions.Catalog
	Hasher    *questions.Hasher
	// Holders counts the users who hold a phone number (flow.Facts.Holders); nil: numbers are
	// never treated as shared.
	Holders func(number string) int
	// Decoys draws the pages of names that match nobody from the real population (nil or
	// empty: a fixed fallback derived from the name).
	Decoys *Decoys
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Metrics records the steps and outcomes (nil: nothing is recorded).
	Metrics *flow.Metrics
}

// Service runs the reset and unlock flows. Its methods are safe for concurrent use.
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
	if cfg.DefaultCountryCode == 0 {
		cfg.DefaultCountryCode = 1
	}
	if cfg.Questions == nil {
		c, err := questions.NewCatalog(cfg.Policy.Questions.Custom)
		if err != nil {
			log.Error("custom security questions ignored", "err", err)
			c, _ = questions.NewCatalog(nil)
		}
		cfg.Questions = c
	}
	if cfg.Hasher == nil {
		cfg.Hasher = questions.NewHasher(questions.HasherOptions{MaxConcurrent: cfg.Policy.Questions.MaxConcurrentHashes})
	}
	s := &Service{st: st, send: send, dir: dir, cfg: cfg, log: log, now: cfg.Now}
	s.sessions = flow.Sessions{Store: st, Expired: ErrNoSession}
	return s
}

// codes is the code lifecycle under the policy.
func (s *Service) codes() flow.Codes {
	p := s.cfg.Policy
	return flow.Codes{Store: s.st, Key: s.cfg.CodeKey, Length: p.CodeLength, MaxAttempts: p.CodeMaxAttempts, Lifetime: p.CodeLifetime}
}

// Policy returns the effective policy.
func (s *Service) Policy() flow.Policy { return s.cfg.Policy }

// Questions returns the catalog of security questions (for the pages that show them).
func (s *Service) Questions() *questions.Catalog { return s.cfg.Questions }

// PasswordPolicy returns the password rules, for the page that shows them.
func (s *Service) PasswordPolicy() password.Policy { return s.cfg.Password }

// Option is one way to receive a code, as the user sees it.
type Option struct {
	ID     string `json:"id"`     // "email", "sms", "voice", "voice-office", "questions"
	Method string `json:"method"` // email, sms, voice, questions
	Hint   string `json:"hint"`   // masked destination: "+1 ••••••1234", "a•••@contoso.com"; questions: how many are asked
}

// View is what the flow's pages show.
type View struct {
	Kind     string
	Options  []Option // ways still available to prove identity
	Verified []string // option IDs already verified
	Required int      // distinct destinations to prove
	Pending  string   // option ID a code was sent to (or "questions" asked), awaiting entry
	// Questions are the keys of the security questions asked (Pending == "questions"), in
	// order: the answers come back in this order.
	Questions []string
	Ready     bool // enough proof: show the new-password form (reset) or unlock
	// UserName is the user's sign-in name (UPN), once Ready only: the new-password page gives
	// it to password managers (autocomplete="username"). Decoys never get here.
	UserName string
}

// state is the session's State.
type state struct {
	UPN      string   `json:"upn"`     // the user's UPN, or the name typed when it matches nobody
	Subject  string   `json:"subject"` // throttle subject: "u:<id>" or "n:<hmac of the name>"
	Decoy    bool     `json:"decoy"`
	Required int      `json:"required"`
	Strict   bool     `json:"strict"`   // privileged: no questions
	Verified []string `json:"verified"` // option IDs verified
	Proven   []string `json:"proven"`   // hashes of the destinations verified
	Pending  string   `json:"pending"`
	Asked    []string `json:"asked,omitempty"` // question keys drawn, until answered right
	// Changed: when the user's directory contact fields last changed, as read at the start
	// (a value that just changed is not offered: reset.newContactCooldown).
	Changed map[string]time.Time `json:"changed,omitempty"`
	// Completing: a request is writing the password (or unlocking): the completion is claimed
	// once, so concurrent requests on one session write nothing.
	Completing bool      `json:"completing,omitempty"`
	Started    time.Time `json:"started"`
	// Lang is the language of the user's pages, last seen: the flow's messages are in it.
	Lang string `json:"lang,omitempty"`
}

// event is an audit event of the flow.
func (s *Service) event(typ string, st *state, userID string, c flow.Client, details map[string]string) *store.AuditEvent {
	return &store.AuditEvent{Time: s.now().UTC(), Type: typ, Actor: "user", UserID: userID, UserPrincipalName: st.UPN,
		ClientIP: c.IP, UserAgent: truncate(c.UserAgent, 256), Details: details}
}

func (s *Service) audit(ctx context.Context, typ string, st *state, userID string, c flow.Client, details map[string]string) {
	if err := s.st.AppendAudit(ctx, s.event(typ, st, userID, c, details)); err != nil {
		s.log.Error("audit", "type", typ, "err", err)
	}
}

// Start begins a flow for the name typed. It always returns a session token and a view, whether
// or not the name matches a user who can reset: names that match nobody, disabled accounts and
// users without any method get a decoy flow that looks the same and can never succeed.
func (s *Service) Start(ctx context.Context, kind, name string, c flow.Client) (string, View, error) {
	token, v, err := s.start(ctx, kind, name, c)
	s.cfg.Metrics.Step(kind, "start", "", err) // decoys too: the same outcome as a real name
	return token, v, err
}

func (s *Service) start(ctx context.Context, kind, name string, c flow.Client) (string, View, error) {
	if kind != KindReset && kind != KindUnlock {
		return "", View{}, fmt.Errorf("reset: unknown flow %q", kind)
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return "", View{}, userErr(flow.KindInput, "start.nameRequired")
	}
	if utf8.RuneCountInString(name) > 256 || !utf8.ValidString(name) {
		name = truncate(strings.ToValidUTF8(name, ""), 256)
	}
	now := s.now().UTC()
	// The start is counted, the name looked up and its recent contact changes read together,
	// alike for every name (one round trip on PostgreSQL); what was read is not used when the
	// start is refused.
	key, lim := flow.IPKey(c, "start"), s.cfg.Policy.Throttle.StartsIP
	var changes *store.AuditFilter
	if cool := s.cfg.Policy.Cooldown(); cool > 0 {
		f := flow.ChangesFilter(name, now.Add(-cool))
		changes = &f
	}
	read, err := s.st.ReadStart(ctx, name, key, now, now.Add(-lim.Window), changes)
	if err != nil {
		return "", View{}, fmt.Errorf("reset: start: %w", err)
	}
	if err := flow.Judge(ctx, s.st, key, lim, now, read.Hits, read.LockedUntil); err != nil {
		return "", View{}, err
	}
	u := read.User
	st := &state{UPN: name, Required: s.cfg.Policy.MethodsRequired, Started: now, Lang: c.Lang}
	outcome := "ok"
	switch {
	case u.ID == "":
		outcome = "unknownName"
	case !u.AccountEnabled:
		outcome = "disabled"
	}
	userID := ""
	if outcome == "ok" {
		st.UPN, st.Subject, userID = u.UserPrincipalName, "u:"+u.ID, u.ID
		f := s.facts(ctx, u, now, read.Audit)
		d := flow.Methods(u, s.cfg.Policy, f)
		st.Strict, st.Required, st.Changed = f.Privileged, d.Required, f.Changed
		switch {
		case len(d.Options) == 0:
			outcome = "noMethods"
		case !d.Ready:
			// The flow could never be completed (fewer destinations than required): a
			// decoy, like a name that matches nobody; the readiness report says why.
			outcome = "notReady"
		}
	}
	if outcome != "ok" {
		st.Decoy, userID = true, ""
		st.Subject = "n:" + s.nameKey(name)
		st.Strict, st.Required = false, s.cfg.Policy.MethodsRequired
		if _, req := s.cfg.Decoys.draw(s.cfg.DecoyKey, st.UPN); req > 0 {
			st.Required = req // as often 2 as real (privileged) users
		}
	}
	token, sess, err := flow.NewSession(kind, userID, st, now, now.Add(s.cfg.Policy.SessionLifetime))
	if err != nil {
		return "", View{}, fmt.Errorf("reset: %w", err)
	}
	var v View
	if st.Decoy {
		v = s.view(kind, st, nil)
	} else {
		v = s.view(kind, st, &u)
	}
	// Decoys record what they showed too: both paths then do the same writes, which keeps
	// their timing alike (and an auditor sees what an unknown name was shown).
	offered := make([]string, 0, len(v.Options))
	for _, o := range v.Options {
		offered = append(offered, o.ID+" "+o.Hint)
	}
	// The session and its audit event in one write (one round trip on PostgreSQL). One event
	// says how the flow started and what it offered: each event appended queues on the audit
	// chain's head, so a step appends as few as it can.
	if err := s.st.WriteStep(ctx, store.StepWrite{CreateSession: sess, Audit: []*store.AuditEvent{
		s.event(kind+".started", st, userID, c, map[string]string{"outcome": outcome, "methods": strings.Join(offered, "; "),
			"required": strconv.Itoa(v.Required), "decoy": strconv.FormatBool(st.Decoy)}),
	}}); err != nil {
		return "", View{}, fmt.Errorf("reset: start: %w", err)
	}
	return token, v, nil
}

// facts are what the rule needs beyond the user: privilege (AD adminCount=1, synced, or a
// member of a configured admin group; when membership cannot be checked, the stricter policy
// applies: fail closed), who else holds the user's numbers, and which contact values changed
// lately (from changes, the events flow.ChangesFilter lists).
func (s *Service) facts(ctx context.Context, u store.User, now time.Time, changes []store.AuditEvent) flow.Facts {
	f := flow.Privileged(ctx, s.dir, s.cfg.Policy.AdminGroups, u, s.log)
	f.Holders, f.Now, f.Quiet = s.cfg.Holders, now, true
	f.Changed = flow.ContactChanges(changes, u)
	return f
}

// options lists the ways a real user can prove who they are: flow.Methods, the one rule.
func (s *Service) options(u store.User, st *state) []flow.Option {
	return flow.Methods(u, s.cfg.Policy, flow.Facts{Privileged: st.Strict, Holders: s.cfg.Holders, Changed: st.Changed, Now: s.now(), Quiet: true}).Options
}

// decoyOptions derives, from the name alone, options that look like a real user's: the same
// name always shows the same hints.
func (s *Service) decoyOptions(st *state) []flow.Option {
	if opts, _ := s.cfg.Decoys.draw(s.cfg.DecoyKey, st.UPN); len(opts) > 0 {
		return s.enabledOnly(opts)
	}
	mac := hmac.New(sha256.New, s.cfg.DecoyKey)
	mac.Write([]byte(strings.ToLower(st.UPN)))
	h := mac.Sum(nil)
	p := s.cfg.Policy
	digits := fmt.Sprintf("%04d", (int(h[0])<<8|int(h[1]))%10000)
	phoneHint := fmt.Sprintf("+%d %s%s", s.cfg.DefaultCountryCode, strings.Repeat(phone.Bullet, 6), digits)
	domains := []string{"gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com"}
	emailHint := string(rune('a'+h[2]%26)) + strings.Repeat(phone.Bullet, 3) + "@" + domains[int(h[3])%len(domains)]
	var out []flow.Option
	if p.Enabled(MethodEmail) && h[4]%4 != 0 {
		out = append(out, flow.Option{ID: "email", Method: MethodEmail, Hint: emailHint})
	}
	if p.Enabled(MethodSMS) && h[5]%4 != 0 {
		out = append(out, flow.Option{ID: "sms", Method: MethodSMS, Hint: phoneHint})
		if p.Enabled(MethodVoice) {
			out = append(out, flow.Option{ID: "voice", Method: MethodVoice, Hint: phoneHint})
		}
	}
	// Questions for about half the names, as for real users who registered some.
	questionsHint := strconv.Itoa(p.Questions.AtReset)
	if p.Enabled(MethodQuestions) && h[6]%2 == 0 {
		out = append(out, flow.Option{ID: MethodQuestions, Method: MethodQuestions, Hint: questionsHint})
	}
	if len(out) == 0 {
		switch {
		case p.Enabled(MethodEmail):
			out = append(out, flow.Option{ID: "email", Method: MethodEmail, Hint: emailHint})
		case p.Enabled(MethodSMS):
			out = append(out, flow.Option{ID: "sms", Method: MethodSMS, Hint: phoneHint})
		case p.Enabled(MethodVoice):
			out = append(out, flow.Option{ID: "voice", Method: MethodVoice, Hint: phoneHint})
		case p.Enabled(MethodQuestions):
			out = append(out, flow.Option{ID: MethodQuestions, Method: MethodQuestions, Hint: questionsHint})
		}
	}
	return out
}

func (s *Service) nameKey(name string) string { return flow.NameKey(s.cfg.DecoyKey, name) }

// load finds the session and its user; ErrNoSession when the session is gone or expired.
func (s *Service) load(ctx context.Context, token string) (*store.Session, *state, *store.User, error) {
	st := &state{}
	// The session and its user in one read (one round trip on PostgreSQL).
	sess, u, err := s.sessions.LoadUser(ctx, s.st, token, s.now().UTC(), st, KindReset, KindUnlock)
	if err != nil {
		return nil, nil, nil, err
	}
	if st.Decoy {
		return sess, st, nil, nil
	}
	if u.ID == "" || u.ID != sess.UserID || !strings.EqualFold(u.UserPrincipalName, st.UPN) || !u.AccountEnabled {
		// Renamed, deleted or disabled since the flow started: end it.
		return nil, nil, nil, ErrNoSession
	}
	return sess, st, &u, nil
}

func (s *Service) save(ctx context.Context, sess *store.Session, st *state) error {
	return s.sessions.Save(ctx, sess, st)
}

// View returns the current view of a flow.
func (s *Service) View(ctx context.Context, token string) (View, error) {
	sess, st, u, err := s.load(ctx, token)
	if err != nil {
		return View{}, err
	}
	return s.view(sess.Kind, st, u), nil
}

func (s *Service) currentOptions(st *state, u *store.User) []flow.Option {
	if st.Decoy || u == nil {
		return s.decoyOptions(st)
	}
	return s.options(*u, st)
}

func (s *Service) view(kind string, st *state, u *store.User) View {
	v := View{Kind: kind, Required: st.Required, Verified: slices.Clone(st.Verified), Pending: st.Pending}
	for _, o := range s.currentOptions(st, u) {
		if slices.Contains(st.Verified, o.ID) || o.Dest != "" && slices.Contains(st.Proven, destKey(o.Dest)) {
			continue
		}
		v.Options = append(v.Options, Option{ID: o.ID, Method: o.Method, Hint: o.Hint})
	}
	if st.Pending == MethodQuestions {
		v.Questions = slices.Clone(st.Asked)
	}
	v.Ready = !st.Decoy && len(st.Proven) >= st.Required
	if v.Ready {
		v.UserName = st.UPN
	}
	return v
}

func destKey(dest string) string {
	h := sha256.Sum256([]byte(strings.ToLower(dest)))
	return hex.EncodeToString(h[:8])
}

// locked reports the lock of the subject's failed proofs, if any.
func (s *Service) locked(ctx context.Context, st *state, c flow.Client, now time.Time) error {
	return flow.CheckLocks(ctx, s.st, now, s.failedKeys(st, c)...)
}

// failedKeys are the throttle keys of the flow's failed proofs: the subject's and the client's.
func (s *Service) failedKeys(st *state, c flow.Client) []string {
	return []string{st.Subject + ":failed", flow.IPKey(c, "failed")}
}

// SendCode sends a code to one of the options (a decoy flow sends nothing, alike otherwise).
func (s *Service) SendCode(ctx context.Context, token, optionID string, c flow.Client) (View, error) {
	kind := ""
	v, err := s.sendCode(ctx, token, optionID, c, &kind)
	s.cfg.Metrics.Step(kind, "send", optionID, err)
	return v, err
}

func (s *Service) sendCode(ctx context.Context, token, optionID string, c flow.Client, kind *string) (View, error) {
	sess, st, u, err := s.load(ctx, token)
	if err != nil {
		return View{}, err
	}
	*kind = sess.Kind
	now := s.now().UTC()
	var opt *flow.Option
	for _, o := range s.currentOptions(st, u) {
		if o.ID == optionID {
			opt = &o
			break
		}
	}
	if opt == nil || slices.Contains(st.Verified, optionID) {
		return View{}, userErr(flow.KindProof, "send.unknownOption")
	}
	if opt.Method == MethodQuestions {
		if err := s.locked(ctx, st, c, now); err != nil {
			s.audit(ctx, sess.Kind+".throttled", st, sess.UserID, c, map[string]string{"step": "send"})
			return View{}, err
		}
		return s.askQuestions(ctx, sess, st, u)
	}
	// SMS and voice share one limit: both cost money and reach the same phones.
	lim, bucket := s.cfg.Policy.Throttle.Phone, "phone"
	if opt.Method == MethodEmail {
		lim, bucket = s.cfg.Policy.Throttle.Email, "email"
	}
	// The send counts against its limit unless the flow's failed proofs are locked (one round
	// trip on PostgreSQL for both).
	if err := flow.Enforce(ctx, s.st, st.Subject+":"+bucket, lim, now, s.failedKeys(st, c)...); err != nil {
		s.audit(ctx, sess.Kind+".throttled", st, sess.UserID, c, map[string]string{"step": "send", "method": opt.Method})
		s.cfg.Metrics.Code(sess.Kind, opt.Method, flow.CodeThrottled)
		return View{}, err
	}
	// With a StepSender (the outbox) the code, its message and the audit event are written with
	// the session (one transaction, one round trip on PostgreSQL): a step that loses the race
	// for its session sends nothing. Other senders queue the message first.
	var (
		code string
		w    store.StepWrite
	)
	steps, inStep := s.send.(flow.StepSender)
	if inStep {
		code, w.IssueCode = s.codes().New(sess, sess.Kind+":"+opt.ID, opt.Dest, opt.Hint, now)
	} else if code, err = s.codes().Issue(ctx, sess, sess.Kind+":"+opt.ID, opt.Dest, opt.Hint, now); err != nil {
		return View{}, fmt.Errorf("reset: %w", err)
	}
	if c.Lang != "" {
		st.Lang = c.Lang
	}
	if !st.Decoy {
		msg := s.texts().CodeMessage(st.Lang, sess.Kind, opt.Method, opt.Dest, code, s.cfg.Policy.CodeLifetime)
		if inStep {
			m, err := steps.Prepare(msg)
			if err != nil {
				s.cfg.Metrics.Code(sess.Kind, opt.Method, flow.CodeFailed)
				return View{}, fmt.Errorf("reset: queue code: %w", err)
			}
			w.Enqueue = append(w.Enqueue, m)
		} else if err := s.send.Send(ctx, msg); err != nil {
			s.cfg.Metrics.Code(sess.Kind, opt.Method, flow.CodeFailed)
			return View{}, fmt.Errorf("reset: queue code: %w", err)
		}
		w.Audit = append(w.Audit, s.event(sess.Kind+".code.sent", st, sess.UserID, c, map[string]string{"method": opt.Method, "to": opt.Hint}))
	}
	st.Pending = opt.ID
	if err := s.sessions.SaveWith(ctx, s.st, sess, st, w); err != nil {
		if !inStep {
			// The code went out all the same: the audit says so.
			for _, e := range w.Audit {
				if aerr := s.st.AppendAudit(ctx, e); aerr != nil {
					s.log.Error("audit", "type", e.Type, "err", aerr)
				}
			}
		}
		return View{}, err
	}
	s.cfg.Metrics.Code(sess.Kind, opt.Method, flow.CodeQueued) // a decoy's looks queued too
	if inStep && len(w.Enqueue) > 0 {
		steps.Queued()
	}
	return s.view(sess.Kind, st, u), nil
}

// texts composes the flow's messages (codes, notices) in the user's language.
func (s *Service) texts() flow.Texts {
	return flow.Texts{Bundle: s.cfg.Texts, Company: s.cfg.CompanyName, PublicURL: s.cfg.PublicURL}
}

// VerifyCode checks a code for the pending option. The attempt is counted before the
// comparison; a wrong code counts as a failed proof for the user and the client IP.
func (s *Service) VerifyCode(ctx context.Context, token, optionID, code string, c flow.Client) (View, error) {
	kind := ""
	v, err := s.verifyCode(ctx, token, optionID, code, c, &kind)
	s.cfg.Metrics.Step(kind, "verify", optionID, err)
	return v, err
}

func (s *Service) verifyCode(ctx context.Context, token, optionID, code string, c flow.Client, kind *string) (View, error) {
	sess, st, u, err := s.load(ctx, token)
	if err != nil {
		return View{}, err
	}
	*kind = sess.Kind
	now := s.now().UTC()
	if err := s.locked(ctx, st, c, now); err != nil {
		return View{}, err
	}
	// Decoy sessions have no destinations: nobody knows their codes, every code is wrong.
	var dest string
	for _, o := range s.currentOptions(st, u) {
		if o.ID == optionID {
			dest = o.Dest
		}
	}
	wrong, err := s.codes().Check(ctx, sess, sess.Kind+":"+optionID, dest, code, now)
	if wrong {
		s.audit(ctx, sess.Kind+".code.failed", st, sess.UserID, c, map[string]string{"option": optionID})
		if lerr := s.failedProof(ctx, sess, st, c, now); lerr != nil {
			return View{}, lerr
		}
	}
	if err != nil {
		return View{}, err
	}
	if dest == "" {
		return View{}, userErr(flow.KindProof, "send.unknownOption")
	}
	st.Verified = append(st.Verified, optionID)
	if k := destKey(dest); !slices.Contains(st.Proven, k) {
		st.Proven = append(st.Proven, k)
	}
	st.Pending = ""
	// The session and the audit event in one write (one round trip on PostgreSQL): an unsaved
	// proof is not audited.
	if err := s.sessions.SaveStep(ctx, s.st, sess, st,
		s.event(sess.Kind+".code.verified", st, sess.UserID, c, map[string]string{"method": strings.TrimSuffix(optionID, "-office")})); err != nil {
		return View{}, err
	}
	return s.view(sess.Kind, st, u), nil
}

// failedProof counts a failed proof (a wrong code or wrong answers) against the user and the
// client IP, and locks them at the limit: then it returns the lock's error, else nil.
func (s *Service) failedProof(ctx context.Context, sess *store.Session, st *state, c flow.Client, now time.Time) error {
	t := s.cfg.Policy.Throttle
	hit, until, err := flow.Failure(ctx, s.st, now, flow.Counter{Key: st.Subject + ":failed", Limit: t.FailedProofs},
		flow.Counter{Key: flow.IPKey(c, "failed"), Limit: t.FailedProofsIP})
	if err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	if hit.Key == "" {
		return nil
	}
	scope := strings.SplitN(hit.Key, ":", 2)[0]
	s.audit(ctx, sess.Kind+".lockedOut", st, sess.UserID, c, map[string]string{"until": until.Format(time.RFC3339), "scope": scope})
	s.cfg.Metrics.Lockout(sess.Kind, scope)
	return flow.Locked(until)
}

// Complete finishes a flow whose proofs are enough: it writes the new password back (reset) or
// unlocks the account (unlock). newPassword is ignored for unlock.
func (s *Service) Complete(ctx context.Context, token, newPassword string, c flow.Client) error {
	kind := ""
	err := s.complete(ctx, token, newPassword, c, &kind)
	s.cfg.Metrics.Step(kind, "complete", "", err)
	return err
}

// outcome records the end of a proven flow: its metric and its one log line (never a secret:
// the user's name, the methods proven, the client IP).
func (s *Service) outcome(kind string, st *state, u *store.User, c flow.Client, outcome, reason string) {
	s.cfg.Metrics.FlowOutcome(kind, st.Verified, outcome)
	level := slog.LevelInfo
	if outcome != "done" && outcome != "notLocked" {
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{slog.String("flow", kind), slog.String("outcome", outcome), slog.String("user", u.UserPrincipalName),
		slog.String("methods", flow.MethodsLabel(st.Verified)), slog.Bool("privileged", st.Strict), slog.String("clientIP", c.IP)}
	if reason != "" {
		attrs = append(attrs, slog.String("reason", reason))
	}
	s.log.LogAttrs(context.Background(), level, "flow outcome", attrs...)
}

// write runs a directory write of op and records its duration.
func (s *Service) write(op string, fn func() error) error {
	start := time.Now()
	err := fn()
	reason := "ok"
	if err != nil {
		reason = reasonOf(err)
	}
	s.cfg.Metrics.Writeback(op, time.Since(start), reason)
	return err
}

func (s *Service) complete(ctx context.Context, token, newPassword string, c flow.Client, kind *string) error {
	sess, st, u, err := s.load(ctx, token)
	if err != nil {
		return err
	}
	*kind = sess.Kind
	lang := st.Lang
	if c.Lang != "" {
		lang = c.Lang
	}
	if st.Decoy || u == nil || len(st.Proven) < st.Required {
		return userErr(flow.KindProof, "complete.notVerified")
	}
	if st.Completing {
		return userErr(flow.KindProof, "complete.inProgress")
	}
	if sess.Kind == KindReset {
		if err := s.cfg.Password.Check(newPassword, u.UserPrincipalName, u.DisplayName); err != nil {
			var p *password.Problem
			if errors.As(err, &p) {
				return userErr(flow.KindPassword, p.Key, p.Args...)
			}
			return err
		}
	}
	// Claim the completion before writing: of concurrent requests on one session, exactly one
	// saves this version; the others get a conflict and write nothing.
	st.Completing = true
	if err := s.save(ctx, sess, st); err != nil {
		if flow.IsKind(err, flow.KindConflict) {
			return userErr(flow.KindProof, "complete.inProgress")
		}
		return err
	}
	release := func() {
		st.Completing = false
		if err := s.save(ctx, sess, st); err != nil {
			s.log.Error("release the completion", "err", err)
		}
	}
	var done *store.AuditEvent
	if sess.Kind == KindReset {
		if err := s.write(flow.OpSetPassword, func() error { return s.dir.SetPassword(ctx, u.DN, newPassword) }); err != nil {
			outcome := s.outcomeOf(ctx, u, newPassword, err)
			reason := reasonOf(err)
			switch outcome {
			case writeDone:
				s.log.Warn("password writeback answer lost; the new password binds: done", "user", u.UserPrincipalName, "err", err)
				done = s.event("reset.done", st, u.ID, c, map[string]string{"verified": "bind after a lost answer"})
			case writeUnknown:
				s.log.Error("password writeback outcome unknown", "user", u.UserPrincipalName, "err", err)
				s.audit(ctx, "reset.writeback.unknown", st, u.ID, c, map[string]string{"reason": reason})
				s.outcome(sess.Kind, st, u, c, "unknown", reason)
				release()
				e := userErr(flow.KindDirectory, "writeback.unknown")
				e.Reason = "unknown"
				return e
			default:
				s.log.Warn("password writeback failed", "user", u.UserPrincipalName, "reason", reason, "err", err)
				s.audit(ctx, "reset.writeback.failed", st, u.ID, c, map[string]string{"reason": reason})
				s.outcome(sess.Kind, st, u, c, "refused", reason)
				release()
				e := userErr(flow.KindDirectory, "writeback."+reason)
				e.Reason = reason
				return e
			}
		} else {
			done = s.event("reset.done", st, u.ID, c, nil)
		}
		s.notifyChanged(ctx, u, lang, "reset")
	} else {
		if locked, err := s.dir.IsLocked(ctx, u.DN); err == nil && !locked {
			// Proven, and nothing to unlock: say so (only now, so it reveals nothing).
			s.audit(ctx, "unlock.notLocked", st, u.ID, c, nil)
			s.outcome(sess.Kind, st, u, c, "notLocked", "")
			if err := s.st.DeleteSession(ctx, sess.ID); err != nil {
				s.log.Error("end session", "err", err)
			}
			return userErr(flow.KindNotice, "unlock.notLocked")
		} else if err != nil {
			s.log.Warn("could not tell whether the account is locked; unlocking", "user", u.UserPrincipalName, "err", err)
		}
		if err := s.write(flow.OpUnlock, func() error { return s.dir.Unlock(ctx, u.DN) }); err != nil {
			reason := reasonOf(err)
			if reason == "unavailable" || reason == "failed" {
				// The answer may have been lost after the unlock was made: say so, not
				// "nothing was changed" (a retry is harmless: unlocking twice is a no-op).
				s.log.Error("unlock outcome unknown", "user", u.UserPrincipalName, "reason", reason, "err", err)
				s.audit(ctx, "unlock.unknown", st, u.ID, c, map[string]string{"reason": reason})
				s.outcome(sess.Kind, st, u, c, "unknown", reason)
				release()
				e := userErr(flow.KindDirectory, "unlock.unknown")
				e.Reason = "unknown"
				return e
			}
			s.log.Warn("unlock failed", "user", u.UserPrincipalName, "reason", reason, "err", err)
			s.audit(ctx, "unlock.failed", st, u.ID, c, map[string]string{"reason": reason})
			s.outcome(sess.Kind, st, u, c, "refused", reason)
			release()
			e := userErr(flow.KindDirectory, "writeback."+reason)
			e.Reason = reason
			return e
		}
		done = s.event("unlock.done", st, u.ID, c, nil)
		s.notifyChanged(ctx, u, lang, "unlock")
	}
	if st.Strict {
		// Administrators are told (package alert).
		if done.Details == nil {
			done.Details = map[string]string{}
		}
		done.Details["privileged"] = "true"
	}
	s.outcome(sess.Kind, st, u, c, "done", "")
	// The end in one write (one round trip on PostgreSQL): the audit event, the counters
	// cleared (a successful reset clears them; Entra SSPR does the same), the session ended.
	if err := s.st.WriteStep(ctx, store.StepWrite{Audit: []*store.AuditEvent{done}, DeleteSession: sess.ID,
		ClearThrottles: []string{st.Subject + ":failed", st.Subject + ":phone", st.Subject + ":email", st.Subject + ":questions"}}); err != nil {
		s.log.Error("end the flow", "type", done.Type, "err", err)
	}
	return nil
}

// notifyChanged mails every address the user is known by; the message never holds the password.
func (s *Service) notifyChanged(ctx context.Context, u *store.User, lang, kind string) {
	subject, body := s.texts().Notice(lang, kind, u.UserPrincipalName, s.now(), "")
	flow.NotifyByEmail(ctx, s.send, s.log, *u, s.texts().Lang(lang), subject, body)
}

// writeOutcome is what a password write that returned an error did.
type writeOutcome int

const (
	writeRefused writeOutcome = iota // the directory answered: nothing was changed
	writeDone                        // the answer was lost, but the new password binds
	writeUnknown                     // the answer was lost and the check could not tell
)

// outcomeOf tells what a failed password write did. A directory that answered (a policy
// refusal, no permission) changed nothing. When the answer was lost (the connection dropped or
// timed out after the request may have been sent), a bind as the user with the new password
// tells: it binds (or AD says it must be changed or has expired, which it says only to the
// right password): done; a wrong password: nothing changed; anything else: unknown.
func (s *Service) outcomeOf(ctx context.Context, u *store.User, newPassword string, err error) writeOutcome {
	switch reasonOf(err) {
	case "unavailable", "failed":
	default:
		return writeRefused
	}
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
	}
	berr := s.dir.Authenticate(ctx, u.DN, newPassword)
	if berr == nil {
		return writeDone
	}
	var r interface{ Reason() string }
	if errors.As(berr, &r) {
		switch r.Reason() {
		case "mustChange", "expired":
			return writeDone
		case "wrongPassword", "notFound":
			return writeRefused
		}
	}
	s.log.Warn("could not check the new password after a lost answer", "user", u.UserPrincipalName, "err", berr)
	return writeUnknown
}

// reasonOf maps a directory error to a message reason.
func reasonOf(err error) string {
	var r interface{ Reason() string }
	if errors.As(err, &r) {
		switch reason := r.Reason(); reason {
		case "tooShort", "complexity", "history", "tooYoung", "locked", "notPermitted", "unavailable":
			return reason
		}
	}
	return "failed"
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}

// enabledOnly keeps the options whose method the policy enables (a model built under an older
// policy may hold others until its next refresh).
func (s *Service) enabledOnly(opts []flow.Option) []flow.Option {
	out := opts[:0:0]
	for _, o := range opts {
		if s.cfg.Policy.Enabled(o.Method) {
			out = append(out, o)
		}
	}
	return out
}
