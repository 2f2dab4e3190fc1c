package reset

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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
	UserByUPN(ctx context.Context, upn string) (store.User, error)
	store.Sessions
	store.Codes
	store.Throttles
	AppendAudit(ctx context.Context, e *store.AuditEvent) error
	// SecurityAnswers returns the user's registered questions and answer hashes.
	SecurityAnswers(ctx context.Context, userID string) ([]store.SecurityAnswer, error)
}

// Message is an email, SMS or voice call to send.
type Message struct {
	Channel string // "email", "sms", "voice"
	To      string // email address or E.164 number
	Subject string
	Body    string
}

// Sender queues a message for delivery (the outbox).
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Directory writes passwords back and unlocks accounts. Its errors may implement
// `Reason() string` (tooShort, complexity, history, tooYoung, locked, notPermitted, unavailable),
// which becomes the message the user sees; the full error goes to the log.
type Directory interface {
	SetPassword(ctx context.Context, dn, password string) error
	Unlock(ctx context.Context, dn string) error
	IsMember(ctx context.Context, userDN, groupDN string) (bool, error)
}

// Client is who is asking: for throttles and audit.
type Client struct {
	IP        string
	UserAgent string
}

// Error is what the user is told: a message catalog key and its arguments. Every error the
// Service returns for a user's mistake is an *Error; others are internal failures.
type Error struct {
	Key  string
	Args []any
}

func (e *Error) Error() string { return "reset: " + e.Key }

func userErr(key string, args ...any) *Error { return &Error{Key: key, Args: args} }

// ErrNoSession: the session cookie is missing, unknown or expired; start again.
var ErrNoSession = userErr("session.expired")

// Config is the Service's wiring.
type Config struct {
	Policy   Policy
	Password password.Policy
	// CodeKey keys the codes' HMAC; DecoyKey derives hints for names that match nobody.
	CodeKey, DecoyKey []byte
	// DefaultCountryCode is used in decoy phone hints (the directory's usual country).
	DefaultCountryCode int
	// CompanyName appears in messages.
	CompanyName string
	// PublicURL is the only base for links in messages (never the request's Host).
	PublicURL string
	// Questions is the catalog of security questions (nil: the predefined ones and the
	// policy's custom ones); Hasher checks answers (nil: an unpeppered one sized by the policy).
	Questions *questions.Catalog
	Hasher    *questions.Hasher
}

// Service runs the reset and unlock flows. Its methods are safe for concurrent use.
type Service struct {
	st   Store
	send Sender
	dir  Directory
	cfg  Config
	log  *slog.Logger
	now  func() time.Time
}

// New builds a Service.
func New(st Store, send Sender, dir Directory, cfg Config, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
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
	return &Service{st: st, send: send, dir: dir, cfg: cfg, log: log, now: time.Now}
}

// SetClock replaces time.Now (tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Policy returns the effective policy.
func (s *Service) Policy() Policy { return s.cfg.Policy }

// Questions returns the catalog of security questions (for the pages that show them).
func (s *Service) Questions() *questions.Catalog { return s.cfg.Questions }

// PasswordPolicy returns the password rules, for the page that shows them.
func (s *Service) PasswordPolicy() password.Policy { return s.cfg.Password }

// Option is one way to receive a code, as the user sees it.
type Option struct {
	ID     string `json:"id"`     // "email", "sms", "voice", "voice-office", "questions"
	Method string `json:"method"` // email, sms, voice, questions
	Hint   string `json:"hint"`   // masked destination: "+1 ••••••1234", "a•••@contoso.com"; questions: how many are asked
	dest   string // the real destination (never shown, never stored in the session)
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
}

// state is the session's State.
type state struct {
	UPN      string    `json:"upn"`     // the user's UPN, or the name typed when it matches nobody
	Subject  string    `json:"subject"` // throttle subject: "u:<id>" or "n:<hmac of the name>"
	Decoy    bool      `json:"decoy"`
	Required int       `json:"required"`
	Strict   bool      `json:"strict"`   // privileged: no questions
	Verified []string  `json:"verified"` // option IDs verified
	Proven   []string  `json:"proven"`   // hashes of the destinations verified
	Pending  string    `json:"pending"`
	Asked    []string  `json:"asked,omitempty"` // question keys drawn, until answered right
	Started  time.Time `json:"started"`
}

func (s *Service) audit(ctx context.Context, typ string, st *state, userID string, c Client, details map[string]string) {
	e := &store.AuditEvent{Time: s.now().UTC(), Type: typ, Actor: "user", UserID: userID, UserPrincipalName: st.UPN,
		ClientIP: c.IP, UserAgent: truncate(c.UserAgent, 256), Details: details}
	if err := s.st.AppendAudit(ctx, e); err != nil {
		s.log.Error("audit", "type", typ, "err", err)
	}
}

// Start begins a flow for the name typed. It always returns a session token and a view, whether
// or not the name matches a user who can reset: names that match nobody, disabled accounts and
// users without any method get a decoy flow that looks the same and can never succeed.
func (s *Service) Start(ctx context.Context, kind, name string, c Client) (string, View, error) {
	if kind != KindReset && kind != KindUnlock {
		return "", View{}, fmt.Errorf("reset: unknown flow %q", kind)
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return "", View{}, userErr("start.nameRequired")
	}
	if utf8.RuneCountInString(name) > 256 || !utf8.ValidString(name) {
		name = truncate(strings.ToValidUTF8(name, ""), 256)
	}
	now := s.now().UTC()
	if err := s.limit(ctx, "ip:"+c.IP+":start", s.cfg.Policy.Throttle.StartsIP, now); err != nil {
		return "", View{}, err
	}
	st := &state{UPN: name, Required: s.cfg.Policy.MethodsRequired, Started: now}
	u, err := s.st.UserByUPN(ctx, name)
	outcome := "ok"
	switch {
	case errors.Is(err, store.ErrNotFound):
		outcome = "unknownName"
	case err != nil:
		return "", View{}, fmt.Errorf("reset: look up user: %w", err)
	case !u.AccountEnabled:
		outcome = "disabled"
	}
	userID := ""
	if outcome == "ok" {
		st.UPN, st.Subject, userID = u.UserPrincipalName, "u:"+u.ID, u.ID
		strict, err := s.privileged(ctx, u)
		if err != nil {
			return "", View{}, err
		}
		if strict {
			st.Strict, st.Required = true, 2
		}
		if len(s.options(u, st)) == 0 {
			outcome = "noMethods"
		}
	}
	if outcome != "ok" {
		st.Decoy, userID = true, ""
		st.Subject = "n:" + s.nameKey(name)
	}
	token, id := NewToken()
	raw, _ := json.Marshal(st)
	sess := &store.Session{ID: id, Kind: kind, UserID: userID, State: raw, CreatedAt: now, ExpiresAt: now.Add(s.cfg.Policy.SessionLifetime)}
	if err := s.st.CreateSession(ctx, sess); err != nil {
		return "", View{}, fmt.Errorf("reset: session: %w", err)
	}
	s.audit(ctx, kind+".started", st, userID, c, map[string]string{"outcome": outcome})
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
	s.audit(ctx, kind+".methods.offered", st, userID, c, map[string]string{"methods": strings.Join(offered, "; "),
		"required": strconv.Itoa(v.Required), "decoy": strconv.FormatBool(st.Decoy)})
	return token, v, nil
}

// privileged: AD adminCount=1 (synced) or a member of a configured admin group.
func (s *Service) privileged(ctx context.Context, u store.User) (bool, error) {
	return Privileged(ctx, s.dir, s.cfg.Policy.AdminGroups, u, s.log), nil
}

// Privileged reports whether u gets the stricter policy (two methods, never questions): AD
// adminCount=1 (synced) or a member of one of groups. When membership cannot be checked, the
// user is treated as privileged (fail closed).
func Privileged(ctx context.Context, dir interface {
	IsMember(ctx context.Context, userDN, groupDN string) (bool, error)
}, groups []string, u store.User, log *slog.Logger) bool {
	if u.Privileged {
		return true
	}
	for _, g := range groups {
		ok, err := dir.IsMember(ctx, u.DN, g)
		if err != nil {
			log.Warn("admin group check failed; applying the stricter policy", "group", g, "err", err)
			return true
		}
		if ok {
			return true
		}
	}
	return false
}

// options lists the ways a real user can receive a code under the policy.
func (s *Service) options(u store.User, st *state) []Option {
	p := s.cfg.Policy
	var out []Option
	add := func(id, method, dest, hint string) {
		if dest == "" || !p.enabled(method) || slices.ContainsFunc(out, func(o Option) bool { return o.ID == id }) {
			return
		}
		out = append(out, Option{ID: id, Method: method, Hint: hint, dest: dest})
	}
	emailTo := u.AuthenticationEmail
	if emailTo == "" && len(u.AlternateEmails) > 0 {
		emailTo = u.AlternateEmails[0]
	}
	add("email", MethodEmail, emailTo, phone.MaskEmail(emailTo))
	phoneTo, smsOK := u.AuthenticationPhone, u.AuthenticationPhone != ""
	if phoneTo == "" && u.MobilePhone.Usable() {
		phoneTo = u.MobilePhone.Number
		smsOK = phone.ParseType(u.MobilePhone.Type).CanReceiveSMS()
	}
	if smsOK {
		add("sms", MethodSMS, phoneTo, phone.Mask(phoneTo))
	}
	if phoneTo != "" && voiceOK(u, phoneTo) {
		add("voice", MethodVoice, phoneTo, phone.Mask(phoneTo))
	}
	if u.OfficePhone.Usable() && u.OfficePhone.Number != phoneTo && phone.ParseType(u.OfficePhone.Type).CanReceiveVoice() {
		add("voice-office", MethodVoice, u.OfficePhone.Number, phone.Mask(u.OfficePhone.Number))
	}
	// Security questions: never for privileged users; enough of them registered.
	if !st.Strict && u.SecurityQuestionsCount >= p.Questions.AtReset {
		add(MethodQuestions, MethodQuestions, questionsDest, strconv.Itoa(p.Questions.AtReset))
	}
	return out
}

// questionsDest stands for the questions among the destinations proven: one method.
const questionsDest = "security questions"

func voiceOK(u store.User, number string) bool {
	if number == u.MobilePhone.Number && u.MobilePhone.Type != "" {
		return phone.ParseType(u.MobilePhone.Type).CanReceiveVoice()
	}
	return true // registered authentication phones were verified by a code
}

// decoyOptions derives, from the name alone, options that look like a real user's: the same
// name always shows the same hints.
func (s *Service) decoyOptions(st *state) []Option {
	mac := hmac.New(sha256.New, s.cfg.DecoyKey)
	mac.Write([]byte(strings.ToLower(st.UPN)))
	h := mac.Sum(nil)
	p := s.cfg.Policy
	digits := fmt.Sprintf("%04d", (int(h[0])<<8|int(h[1]))%10000)
	phoneHint := fmt.Sprintf("+%d %s%s", s.cfg.DefaultCountryCode, strings.Repeat(phone.Bullet, 6), digits)
	domains := []string{"gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com"}
	emailHint := string(rune('a'+h[2]%26)) + strings.Repeat(phone.Bullet, 3) + "@" + domains[int(h[3])%len(domains)]
	var out []Option
	if p.enabled(MethodEmail) && h[4]%4 != 0 {
		out = append(out, Option{ID: "email", Method: MethodEmail, Hint: emailHint})
	}
	if p.enabled(MethodSMS) && h[5]%4 != 0 {
		out = append(out, Option{ID: "sms", Method: MethodSMS, Hint: phoneHint})
		if p.enabled(MethodVoice) {
			out = append(out, Option{ID: "voice", Method: MethodVoice, Hint: phoneHint})
		}
	}
	// Questions for about half the names, as for real users who registered some.
	questionsHint := strconv.Itoa(p.Questions.AtReset)
	if p.enabled(MethodQuestions) && h[6]%2 == 0 {
		out = append(out, Option{ID: MethodQuestions, Method: MethodQuestions, Hint: questionsHint})
	}
	if len(out) == 0 {
		switch {
		case p.enabled(MethodEmail):
			out = append(out, Option{ID: "email", Method: MethodEmail, Hint: emailHint})
		case p.enabled(MethodSMS):
			out = append(out, Option{ID: "sms", Method: MethodSMS, Hint: phoneHint})
		case p.enabled(MethodVoice):
			out = append(out, Option{ID: "voice", Method: MethodVoice, Hint: phoneHint})
		case p.enabled(MethodQuestions):
			out = append(out, Option{ID: MethodQuestions, Method: MethodQuestions, Hint: questionsHint})
		}
	}
	return out
}

func (s *Service) nameKey(name string) string {
	mac := hmac.New(sha256.New, s.cfg.DecoyKey)
	mac.Write([]byte("throttle:" + strings.ToLower(name)))
	return hex.EncodeToString(mac.Sum(nil)[:16])
}

// load finds the session and its user; ErrNoSession when the session is gone or expired.
func (s *Service) load(ctx context.Context, token string) (*store.Session, *state, *store.User, error) {
	if token == "" {
		return nil, nil, nil, ErrNoSession
	}
	sess, err := s.st.Session(ctx, TokenID(token), s.now().UTC())
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil, ErrNoSession
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("reset: session: %w", err)
	}
	if sess.Kind != KindReset && sess.Kind != KindUnlock {
		return nil, nil, nil, ErrNoSession
	}
	st := &state{}
	if err := json.Unmarshal(sess.State, st); err != nil {
		return nil, nil, nil, fmt.Errorf("reset: session state: %w", err)
	}
	if st.Decoy {
		return &sess, st, nil, nil
	}
	u, err := s.st.UserByUPN(ctx, st.UPN)
	if err != nil || u.ID != sess.UserID || !u.AccountEnabled {
		// Renamed, deleted or disabled since the flow started: end it.
		return nil, nil, nil, ErrNoSession
	}
	return &sess, st, &u, nil
}

func (s *Service) save(ctx context.Context, sess *store.Session, st *state) error {
	raw, _ := json.Marshal(st)
	sess.State = raw
	if err := s.st.UpdateSession(ctx, sess); err != nil {
		if errors.Is(err, store.ErrVersionMismatch) {
			return userErr("session.conflict")
		}
		return fmt.Errorf("reset: session: %w", err)
	}
	return nil
}

// View returns the current view of a flow.
func (s *Service) View(ctx context.Context, token string) (View, error) {
	sess, st, u, err := s.load(ctx, token)
	if err != nil {
		return View{}, err
	}
	return s.view(sess.Kind, st, u), nil
}

func (s *Service) currentOptions(st *state, u *store.User) []Option {
	if st.Decoy || u == nil {
		return s.decoyOptions(st)
	}
	return s.options(*u, st)
}

func (s *Service) view(kind string, st *state, u *store.User) View {
	v := View{Kind: kind, Required: st.Required, Verified: slices.Clone(st.Verified), Pending: st.Pending}
	for _, o := range s.currentOptions(st, u) {
		if slices.Contains(st.Verified, o.ID) || o.dest != "" && slices.Contains(st.Proven, destKey(o.dest)) {
			continue
		}
		v.Options = append(v.Options, Option{ID: o.ID, Method: o.Method, Hint: o.Hint})
	}
	if st.Pending == MethodQuestions {
		v.Questions = slices.Clone(st.Asked)
	}
	v.Ready = !st.Decoy && len(st.Proven) >= st.Required
	return v
}

func destKey(dest string) string {
	h := sha256.Sum256([]byte(strings.ToLower(dest)))
	return hex.EncodeToString(h[:8])
}

// limit counts an event against a limit and refuses beyond it; a Limit with Lock locks the key.
func (s *Service) limit(ctx context.Context, key string, l Limit, now time.Time) error {
	return Enforce(ctx, s.st, key, l, now)
}

// Enforce counts an event of key against l at now and refuses it (an *Error: throttle.locked
// or throttle.tooMany) when key is locked or the event is one too many; a Limit with Lock then
// locks key.
func Enforce(ctx context.Context, st store.Throttles, key string, l Limit, now time.Time) error {
	if until, err := st.LockedUntil(ctx, key, now); err != nil {
		return fmt.Errorf("throttle: %w", err)
	} else if !until.IsZero() {
		return userErr("throttle.locked", until)
	}
	n, err := st.Hit(ctx, key, now, now.Add(-l.Window))
	if err != nil {
		return fmt.Errorf("throttle: %w", err)
	}
	if n > l.Max {
		if l.Lock > 0 {
			until := now.Add(l.Lock)
			if err := st.Lock(ctx, key, until); err != nil {
				return fmt.Errorf("throttle: %w", err)
			}
			return userErr("throttle.locked", until)
		}
		return userErr("throttle.tooMany", l.Window)
	}
	return nil
}

// locked reports the lock of the subject's failed proofs, if any.
func (s *Service) locked(ctx context.Context, st *state, c Client, now time.Time) error {
	for _, key := range []string{st.Subject + ":failed", "ip:" + c.IP + ":failed"} {
		until, err := s.st.LockedUntil(ctx, key, now)
		if err != nil {
			return fmt.Errorf("reset: throttle: %w", err)
		}
		if !until.IsZero() {
			return userErr("throttle.locked", until)
		}
	}
	return nil
}

// SendCode sends a code to one of the options (a decoy flow sends nothing, alike otherwise).
func (s *Service) SendCode(ctx context.Context, token, optionID string, c Client) (View, error) {
	sess, st, u, err := s.load(ctx, token)
	if err != nil {
		return View{}, err
	}
	now := s.now().UTC()
	if err := s.locked(ctx, st, c, now); err != nil {
		s.audit(ctx, sess.Kind+".throttled", st, sess.UserID, c, map[string]string{"step": "send"})
		return View{}, err
	}
	var opt *Option
	for _, o := range s.currentOptions(st, u) {
		if o.ID == optionID {
			opt = &o
			break
		}
	}
	if opt == nil || slices.Contains(st.Verified, optionID) {
		return View{}, userErr("send.unknownOption")
	}
	if opt.Method == MethodQuestions {
		return s.askQuestions(ctx, sess, st, u)
	}
	// SMS and voice share one limit: both cost money and reach the same phones.
	lim, bucket := s.cfg.Policy.Throttle.Phone, "phone"
	if opt.Method == MethodEmail {
		lim, bucket = s.cfg.Policy.Throttle.Email, "email"
	}
	if err := s.limit(ctx, st.Subject+":"+bucket, lim, now); err != nil {
		s.audit(ctx, sess.Kind+".throttled", st, sess.UserID, c, map[string]string{"step": "send", "method": opt.Method})
		return View{}, err
	}
	code := NewCode(s.cfg.Policy.CodeLength)
	purpose := sess.Kind + ":" + opt.ID
	rec := &store.Code{SessionID: sess.ID, UserID: sess.UserID, Purpose: purpose, Destination: opt.Hint,
		MAC: s.codeMAC(sess.ID, purpose, code), MaxAttempts: s.cfg.Policy.CodeMaxAttempts,
		CreatedAt: now, ExpiresAt: now.Add(s.cfg.Policy.CodeLifetime)}
	if err := s.st.CreateCode(ctx, rec); err != nil {
		return View{}, fmt.Errorf("reset: code: %w", err)
	}
	if !st.Decoy {
		if err := s.send.Send(ctx, s.codeMessage(opt, code, sess.Kind)); err != nil {
			return View{}, fmt.Errorf("reset: queue code: %w", err)
		}
		s.audit(ctx, sess.Kind+".code.sent", st, sess.UserID, c, map[string]string{"method": opt.Method, "to": opt.Hint})
	}
	st.Pending = opt.ID
	if err := s.save(ctx, sess, st); err != nil {
		return View{}, err
	}
	return s.view(sess.Kind, st, u), nil
}

func (s *Service) codeMessage(o *Option, code, kind string) Message {
	company := s.cfg.CompanyName
	if company == "" {
		company = "your organization"
	}
	action := "reset your password"
	if kind == KindUnlock {
		action = "unlock your account"
	}
	lifetime := int(s.cfg.Policy.CodeLifetime.Minutes())
	switch o.Method {
	case MethodEmail:
		return Message{Channel: "email", To: o.dest, Subject: fmt.Sprintf("Your %s verification code", company),
			Body: fmt.Sprintf("Your verification code is %s\n\nUse it to %s at %s. It expires in %d minutes.\n"+
				"If you did not ask for it, ignore this message: your password has not changed.\n", code, action, s.cfg.PublicURL, lifetime)}
	case MethodSMS:
		return Message{Channel: "sms", To: e164(o.dest), Body: fmt.Sprintf("%s verification code: %s (valid %d min). Do not share it.", company, code, lifetime)}
	default:
		return Message{Channel: "voice", To: e164(o.dest), Body: code}
	}
}

// e164 turns the canonical "+1 4255551234" into "+14255551234" for providers.
func e164(canonical string) string { return strings.ReplaceAll(canonical, " ", "") }

func (s *Service) codeMAC(sessionID, purpose, code string) []byte {
	mac := hmac.New(sha256.New, s.cfg.CodeKey)
	mac.Write([]byte(sessionID + "\x00" + purpose + "\x00" + code))
	return mac.Sum(nil)
}

// VerifyCode checks a code for the pending option. The attempt is counted before the
// comparison; a wrong code counts as a failed proof for the user and the client IP.
func (s *Service) VerifyCode(ctx context.Context, token, optionID, code string, c Client) (View, error) {
	sess, st, u, err := s.load(ctx, token)
	if err != nil {
		return View{}, err
	}
	now := s.now().UTC()
	if err := s.locked(ctx, st, c, now); err != nil {
		return View{}, err
	}
	purpose := sess.Kind + ":" + optionID
	rec, err := s.st.ActiveCode(ctx, sess.ID, purpose, now)
	if errors.Is(err, store.ErrNotFound) {
		return View{}, userErr("verify.noCode")
	}
	if err != nil {
		return View{}, fmt.Errorf("reset: code: %w", err)
	}
	rec, err = s.st.CountAttempt(ctx, rec.ID, now)
	if errors.Is(err, store.ErrExhausted) {
		return View{}, userErr("verify.exhausted")
	}
	if err != nil {
		return View{}, fmt.Errorf("reset: code: %w", err)
	}
	code = strings.TrimSpace(strings.ReplaceAll(code, " ", ""))
	if !hmac.Equal(rec.MAC, s.codeMAC(sess.ID, purpose, code)) {
		s.audit(ctx, sess.Kind+".code.failed", st, sess.UserID, c, map[string]string{"option": optionID})
		if err := s.failedProof(ctx, sess, st, c, now); err != nil {
			return View{}, err
		}
		if triesLeft := rec.MaxAttempts - rec.Attempts; triesLeft > 0 {
			return View{}, userErr("verify.wrong", triesLeft)
		}
		return View{}, userErr("verify.exhausted")
	}
	if err := s.st.ConsumeCode(ctx, rec.ID, now); err != nil {
		if errors.Is(err, store.ErrExhausted) {
			return View{}, userErr("verify.exhausted")
		}
		return View{}, fmt.Errorf("reset: code: %w", err)
	}
	// Decoy sessions never get here: nobody knows their codes.
	var dest string
	for _, o := range s.currentOptions(st, u) {
		if o.ID == optionID {
			dest = o.dest
		}
	}
	if dest == "" {
		return View{}, userErr("send.unknownOption")
	}
	st.Verified = append(st.Verified, optionID)
	if k := destKey(dest); !slices.Contains(st.Proven, k) {
		st.Proven = append(st.Proven, k)
	}
	st.Pending = ""
	if err := s.save(ctx, sess, st); err != nil {
		return View{}, err
	}
	s.audit(ctx, sess.Kind+".code.verified", st, sess.UserID, c, map[string]string{"method": strings.TrimSuffix(optionID, "-office")})
	return s.view(sess.Kind, st, u), nil
}

// failedProof counts a failed proof (a wrong code or wrong answers) against the user and the
// client IP, and locks them at the limit: then it returns the lock's error, else nil.
func (s *Service) failedProof(ctx context.Context, sess *store.Session, st *state, c Client, now time.Time) error {
	for _, k := range []struct {
		key string
		l   Limit
	}{{st.Subject + ":failed", s.cfg.Policy.Throttle.FailedProofs}, {"ip:" + c.IP + ":failed", s.cfg.Policy.Throttle.FailedProofsIP}} {
		n, err := s.st.Hit(ctx, k.key, now, now.Add(-k.l.Window))
		if err != nil {
			return fmt.Errorf("reset: throttle: %w", err)
		}
		if n >= k.l.Max {
			until := now.Add(k.l.Lock)
			if err := s.st.Lock(ctx, k.key, until); err != nil {
				return fmt.Errorf("reset: throttle: %w", err)
			}
			s.audit(ctx, sess.Kind+".lockedOut", st, sess.UserID, c, map[string]string{"until": until.Format(time.RFC3339), "scope": strings.SplitN(k.key, ":", 2)[0]})
			return userErr("throttle.locked", until)
		}
	}
	return nil
}

// Complete finishes a flow whose proofs are enough: it writes the new password back (reset) or
// unlocks the account (unlock). newPassword is ignored for unlock.
func (s *Service) Complete(ctx context.Context, token, newPassword string, c Client) error {
	sess, st, u, err := s.load(ctx, token)
	if err != nil {
		return err
	}
	if st.Decoy || u == nil || len(st.Proven) < st.Required {
		return userErr("complete.notVerified")
	}
	if sess.Kind == KindReset {
		if err := s.cfg.Password.Check(newPassword, u.UserPrincipalName, u.DisplayName); err != nil {
			var p *password.Problem
			if errors.As(err, &p) {
				return userErr(p.Key, p.Args...)
			}
			return err
		}
		if err := s.dir.SetPassword(ctx, u.DN, newPassword); err != nil {
			reason := reasonOf(err)
			s.log.Warn("password writeback failed", "user", u.UserPrincipalName, "reason", reason, "err", err)
			s.audit(ctx, "reset.writeback.failed", st, u.ID, c, map[string]string{"reason": reason})
			return userErr("writeback." + reason)
		}
		s.audit(ctx, "reset.done", st, u.ID, c, nil)
		s.notifyChanged(ctx, u, "Your password was reset",
			fmt.Sprintf("The password of your account %s was reset at %s.\n\nIf this was not you, contact your helpdesk at once.\n",
				u.UserPrincipalName, s.now().UTC().Format("2006-01-02 15:04 MST")))
	} else {
		if err := s.dir.Unlock(ctx, u.DN); err != nil {
			reason := reasonOf(err)
			s.log.Warn("unlock failed", "user", u.UserPrincipalName, "reason", reason, "err", err)
			s.audit(ctx, "unlock.failed", st, u.ID, c, map[string]string{"reason": reason})
			return userErr("writeback." + reason)
		}
		s.audit(ctx, "unlock.done", st, u.ID, c, nil)
		s.notifyChanged(ctx, u, "Your account was unlocked",
			fmt.Sprintf("Your account %s was unlocked at %s.\n\nIf this was not you, contact your helpdesk at once.\n",
				u.UserPrincipalName, s.now().UTC().Format("2006-01-02 15:04 MST")))
	}
	// A successful reset clears the counters (Entra SSPR does the same).
	if err := s.st.ClearThrottles(ctx, st.Subject+":failed", st.Subject+":phone", st.Subject+":email", st.Subject+":questions"); err != nil {
		s.log.Error("clear throttles", "err", err)
	}
	if err := s.st.DeleteSession(ctx, sess.ID); err != nil {
		s.log.Error("end session", "err", err)
	}
	return nil
}

// notifyChanged mails every address the user is known by; the message never holds the password.
func (s *Service) notifyChanged(ctx context.Context, u *store.User, subject, body string) {
	seen := map[string]bool{}
	for _, to := range append([]string{u.AuthenticationEmail}, u.AlternateEmails...) {
		if to == "" || seen[strings.ToLower(to)] {
			continue
		}
		seen[strings.ToLower(to)] = true
		if err := s.send.Send(ctx, Message{Channel: "email", To: to, Subject: subject, Body: body}); err != nil {
			s.log.Error("queue notification", "err", err)
		}
	}
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

// NewToken returns a session secret for the cookie and its ID (a hash) for the store.
func NewToken() (token, id string) {
	b := make([]byte, 32)
	rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, TokenID(token)
}

// TokenID is the store's ID of a session token: its SHA-256, so the store alone cannot be
// replayed as cookies.
func TokenID(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// NewCode returns n uniformly random decimal digits.
func NewCode(n int) string {
	b := make([]byte, n)
	var buf [1]byte
	for i := range b {
		for {
			rand.Read(buf[:])
			if buf[0] < 250 { // 250 = 25*10: no modulo bias
				b[i] = '0' + buf[0]%10
				break
			}
		}
	}
	return string(b)
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}
