package console

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sspr/sspr/internal/email"
	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/i18n"
	"github.com/sspr/sspr/internal/phone"
	"github.com/sspr/sspr/internal/store"
)

// Kind is the console sessions' kind.
const Kind = "console"

// codePurpose is the purpose of the sign-in code (flow.Codes).
const codePurpose = "console:signin"

// Role is what a signed-in administrator may do.
type Role int

// Roles.
const (
	// RoleReader reads the dashboard, users and the audit log.
	RoleReader Role = iota + 1
	// RoleAdministrator also changes users and starts syncs.
	RoleAdministrator
)

func (r Role) String() string {
	switch r {
	case RoleReader:
		return "reader"
	case RoleAdministrator:
		return "administrator"
	}
	return "none"
}

// Directory checks an administrator's password and group membership, and unlocks accounts
// (writeback.Directory).
type Directory interface {
	// Authenticate binds as the user; its errors carry Reason() (wrongPassword, locked, ...).
	Authenticate(ctx context.Context, userDN, password string) error
	// IsMember tells whether the user is a member of the group, nested groups included.
	IsMember(ctx context.Context, userDN, groupDN string) (bool, error)
	// Unlock clears the account's lockout.
	Unlock(ctx context.Context, userDN string) error
}

// Auth is the console's sign-in: the directory password, then a one-time code.
type Auth struct {
	st     AuthStore
	send   flow.Sender
	dir    Directory
	policy Policy
	reset  flow.Policy
	codeK  []byte
	nameK  []byte
	log    *slog.Logger
	now    func() time.Time
	// texts writes the code message in the sign-in page's language (flow.Client.Lang): the
	// console's catalog, which New sets (default i18n.Default()).
	texts *i18n.Bundle

	sessions flow.Sessions
}

// AuthStore is what the sign-in needs of the store.
type AuthStore interface {
	UserByUPN(ctx context.Context, upn string) (store.User, error)
	store.Sessions
	store.Codes
	store.Throttles
	store.Audit
}

// Event types of the console.
const (
	EventSignIn    = "console.signin"    // details: outcome (codeSent, ok, failed, throttled, ...), role
	EventCodeSent  = "console.code.sent" // details: method, to (masked)
	EventSignOut   = "console.signout"
	EventLockedOut = "console.lockedOut"
	EventThrottled = "console.throttled"
)

// ErrNoSession: not signed in, or the session ended.
var ErrNoSession = flow.Errorf(flow.KindSession, "console.session.expired")

// errSignIn is the one answer to every failed sign-in: a wrong password, an unknown name and a
// user who is in none of the console's groups read the same.
var errSignIn = flow.Errorf(flow.KindSignIn, "console.signin.failed")

// state is a console session's state.
type state struct {
	UPN      string    `json:"upn"`
	Subject  string    `json:"subject"` // throttle subject, "u:<id>"
	Role     Role      `json:"role"`
	SignedIn time.Time `json:"signedIn"`
	// Pending: the password was right, the code is awaited (Dest is where it went).
	Pending bool   `json:"pending,omitempty"`
	Dest    string `json:"dest,omitempty"`
	Channel string `json:"channel,omitempty"`
	Hint    string `json:"hint,omitempty"`
}

// Admin is a signed-in administrator.
type Admin struct {
	UserPrincipalName string
	DisplayName       string
	Role              Role
	Client            flow.Client
}

// Actor is the audit log's actor of a console action.
func (a Admin) Actor() string { return "console:" + a.UserPrincipalName }

// CanAct reports whether the administrator may change things.
func (a Admin) CanAct() bool { return a.Role == RoleAdministrator }

// NewAuth builds the sign-in. CodeKey keys the codes' HMAC, nameKey the throttle subject of
// names that match nobody (the flows' flow.NameKey key).
func NewAuth(st AuthStore, send flow.Sender, dir Directory, p Policy, reset flow.Policy, codeKey, nameKey []byte, now func() time.Time, log *slog.Logger) *Auth {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Auth{st: st, send: send, dir: dir, policy: p.WithDefaults(), reset: reset.WithDefaults(), codeK: codeKey, nameK: nameKey,
		log: log, now: now, sessions: flow.Sessions{Store: st, Expired: ErrNoSession}}
}

func (a *Auth) codes() flow.Codes {
	p := a.reset
	return flow.Codes{Store: a.st, Key: a.codeK, Length: p.CodeLength, MaxAttempts: p.CodeMaxAttempts, Lifetime: p.CodeLifetime}
}

func (a *Auth) audit(ctx context.Context, typ, actor, upn, userID string, c flow.Client, d map[string]string) {
	e := &store.AuditEvent{Time: a.now().UTC(), Type: typ, Actor: actor, UserID: userID, UserPrincipalName: upn,
		ClientIP: c.IP, UserAgent: truncate(c.UserAgent, 256), Details: d}
	if err := a.st.AppendAudit(ctx, e); err != nil {
		a.log.Error("audit", "type", typ, "err", err)
	}
}

// role asks the directory which console group u belongs to: administrators first. A group
// whose membership cannot be checked grants nothing (fail closed).
func (a *Auth) role(ctx context.Context, u store.User) Role {
	for _, l := range []struct {
		role   Role
		groups []string
	}{{RoleAdministrator, a.policy.Administrators}, {RoleReader, a.policy.Readers}} {
		for _, g := range l.groups {
			ok, err := a.dir.IsMember(ctx, u.DN, g)
			if err != nil {
				a.log.Warn("console: group membership not checked; not granted", "group", g, "err", err)
				continue
			}
			if ok {
				return l.role
			}
		}
	}
	return 0
}

// SignIn checks the directory password and the console groups, then sends a one-time code to
// the administrator's authenticationEmail or authenticationPhone (else the directory's first
// alternateEmails or mobilePhone) and opens a pending session. A wrong password, a name that
// matches nobody and a user in none of the groups all return the same error.
func (a *Auth) SignIn(ctx context.Context, name, password string, c flow.Client) (token, hint string, err error) {
	name = strings.TrimSpace(name)
	if name == "" || password == "" || utf8.RuneCountInString(name) > 256 || !utf8.ValidString(name) || len(password) > 1024 {
		return "", "", errSignIn
	}
	now := a.now().UTC()
	t := a.reset.Throttle
	if err := flow.Enforce(ctx, a.st, flow.IPKey(c, "console-signin"), t.StartsIP, now); err != nil {
		a.audit(ctx, EventThrottled, "console:"+name, name, "", c, map[string]string{"step": "signin", "scope": "ip"})
		return "", "", err
	}
	u, err := a.st.UserByUPN(ctx, name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", "", fmt.Errorf("console: look up user: %w", err)
	}
	known := err == nil && u.AccountEnabled && u.DN != ""
	subject, userID, upn := "n:"+flow.NameKey(a.nameK, name), "", name
	if known {
		subject, userID, upn = "u:"+u.ID, u.ID, u.UserPrincipalName
	}
	actor := "console:" + upn
	failed := []flow.Counter{{Key: subject + ":console", Limit: t.FailedProofs}, {Key: flow.IPKey(c, "console-failed"), Limit: t.FailedProofsIP}}
	if err := flow.CheckLocks(ctx, a.st, now, failed[0].Key, failed[1].Key); err != nil {
		a.audit(ctx, EventThrottled, actor, upn, userID, c, map[string]string{"step": "signin"})
		return "", "", err
	}
	// A name that matches nobody binds as a DN that cannot exist: the same directory work.
	bindDN := "cn=sspr-nobody-" + flow.NameKey(a.nameK, name)
	if known {
		bindDN = u.DN
	}
	outcome := "ok"
	if err := a.dir.Authenticate(ctx, bindDN, password); err != nil {
		outcome = reasonOf(err)
		if known {
			a.log.Info("console sign-in refused", "user", upn, "reason", outcome, "err", err)
		}
	}
	if !known && outcome != "unavailable" {
		outcome = "unknownName"
	}
	var role Role
	if outcome == "ok" {
		if role = a.role(ctx, u); role == 0 {
			outcome = "notMember"
		}
	}
	if outcome != "ok" {
		a.audit(ctx, EventSignIn, actor, upn, userID, c, map[string]string{"outcome": outcome})
		if outcome == "unavailable" {
			return "", "", flow.Errorf(flow.KindDirectory, "console.signin.unavailable")
		}
		// Every other refusal is a failed proof, counted alike, shown alike.
		if _, until, err := flow.Failure(ctx, a.st, now, failed...); err != nil {
			return "", "", fmt.Errorf("console: %w", err)
		} else if !until.IsZero() {
			a.audit(ctx, EventLockedOut, actor, upn, userID, c, map[string]string{"until": until.Format(time.RFC3339)})
			return "", "", flow.Locked(until)
		}
		return "", "", errSignIn
	}
	dest, channel, hint := codeDestination(u)
	if dest == "" {
		a.audit(ctx, EventSignIn, actor, upn, userID, c, map[string]string{"outcome": "noAddress", "role": role.String()})
		return "", "", flow.Errorf(flow.KindInput, "console.signin.noAddress")
	}
	limit := t.Email
	if channel != flow.MethodEmail {
		limit = t.Phone
	}
	if err := flow.Enforce(ctx, a.st, subject+":console-code", limit, now); err != nil {
		a.audit(ctx, EventThrottled, actor, upn, userID, c, map[string]string{"step": "send", "method": channel})
		return "", "", err
	}
	st := &state{UPN: u.UserPrincipalName, Subject: subject, Role: role, SignedIn: now, Pending: true, Dest: dest, Channel: channel, Hint: hint}
	// The pending session lasts as long as its code.
	token, sess, err := a.sessions.Create(ctx, Kind, u.ID, st, now, now.Add(a.reset.CodeLifetime))
	if err != nil {
		return "", "", fmt.Errorf("console: %w", err)
	}
	code, err := a.codes().Issue(ctx, sess, codePurpose, dest, hint, now)
	if err != nil {
		return "", "", fmt.Errorf("console: %w", err)
	}
	texts := a.texts
	if texts == nil {
		texts = i18n.Default()
	}
	if err := a.send.Send(ctx, codeMessage(texts.For(c.Lang), channel, dest, code, a.reset.CodeLifetime)); err != nil {
		return "", "", fmt.Errorf("console: queue code: %w", err)
	}
	a.audit(ctx, EventSignIn, actor, upn, userID, c, map[string]string{"outcome": "codeSent", "role": role.String()})
	a.audit(ctx, EventCodeSent, actor, upn, userID, c, map[string]string{"method": channel, "to": hint})
	return token, hint, nil
}

// codeDestination chooses where the sign-in code goes: the registered authenticationEmail,
// then authenticationPhone, then the directory's first alternateEmails, then mobilePhone.
func codeDestination(u store.User) (dest, channel, hint string) {
	switch {
	case u.AuthenticationEmail != "":
		return u.AuthenticationEmail, flow.MethodEmail, email.Mask(u.AuthenticationEmail)
	case u.AuthenticationPhone != "":
		return u.AuthenticationPhone, flow.MethodSMS, phone.Mask(u.AuthenticationPhone)
	case len(u.AlternateEmails) > 0:
		return u.AlternateEmails[0], flow.MethodEmail, email.Mask(u.AlternateEmails[0])
	case u.MobilePhone.Usable():
		return u.MobilePhone.Number, flow.MethodSMS, phone.Mask(u.MobilePhone.Number)
	}
	return "", "", ""
}

// codeMessage is the sign-in code's mail or SMS, in tr's language.
func codeMessage(tr *i18n.Translator, channel, dest, code string, lifetime time.Duration) flow.Message {
	if channel == flow.MethodEmail {
		return flow.Message{Channel: flow.MethodEmail, To: dest, Subject: tr.T("console.mail.code.subject"),
			Body: tr.T("console.mail.code.body", code, tr.Duration(lifetime)), Language: tr.Lang()}
	}
	return flow.Message{Channel: flow.MethodSMS, To: strings.ReplaceAll(dest, " ", ""),
		Body: tr.T("console.sms.code", code, tr.Duration(lifetime)), Language: tr.Lang()}
}

// reasonOf is the Reason of a directory error.
func reasonOf(err error) string {
	var r interface{ Reason() string }
	if errors.As(err, &r) {
		if r.Reason() == "unavailable" {
			return "unavailable"
		}
		return r.Reason()
	}
	return "error"
}

// Pending returns the masked destination of the code a pending session awaits.
func (a *Auth) Pending(ctx context.Context, token string) (string, error) {
	st := &state{}
	if _, err := a.sessions.Load(ctx, token, a.now().UTC(), st, Kind); err != nil {
		return "", err
	}
	if !st.Pending {
		return "", ErrNoSession
	}
	return st.Hint, nil
}

// VerifyCode checks the sign-in code. On success the pending session is replaced by a new
// one (a new token: the cookie set before the second factor is worth nothing after it) that
// lasts IdleTimeout from each request. A wrong code is a failed proof.
func (a *Auth) VerifyCode(ctx context.Context, token, code string, c flow.Client) (string, error) {
	now := a.now().UTC()
	st := &state{}
	sess, err := a.sessions.Load(ctx, token, now, st, Kind)
	if err != nil {
		return "", err
	}
	if !st.Pending {
		return "", ErrNoSession
	}
	actor := "console:" + st.UPN
	t := a.reset.Throttle
	failed := []flow.Counter{{Key: st.Subject + ":console", Limit: t.FailedProofs}, {Key: flow.IPKey(c, "console-failed"), Limit: t.FailedProofsIP}}
	if err := flow.CheckLocks(ctx, a.st, now, failed[0].Key, failed[1].Key); err != nil {
		a.audit(ctx, EventThrottled, actor, st.UPN, sess.UserID, c, map[string]string{"step": "code"})
		return "", err
	}
	wrong, err := a.codes().Check(ctx, sess, codePurpose, st.Dest, code, now)
	if err != nil {
		if wrong {
			a.audit(ctx, EventSignIn, actor, st.UPN, sess.UserID, c, map[string]string{"outcome": "wrongCode"})
			if _, until, ferr := flow.Failure(ctx, a.st, now, failed...); ferr != nil {
				return "", fmt.Errorf("console: %w", ferr)
			} else if !until.IsZero() {
				_ = a.st.DeleteSession(ctx, sess.ID)
				a.audit(ctx, EventLockedOut, actor, st.UPN, sess.UserID, c, map[string]string{"until": until.Format(time.RFC3339)})
				return "", flow.Locked(until)
			}
		}
		return "", err
	}
	if err := a.st.DeleteSession(ctx, sess.ID); err != nil {
		return "", fmt.Errorf("console: end pending session: %w", err)
	}
	if err := a.st.ClearThrottles(ctx, st.Subject+":console"); err != nil {
		a.log.Error("clear throttles", "err", err)
	}
	in := &state{UPN: st.UPN, Subject: st.Subject, Role: st.Role, SignedIn: now}
	tok, _, err := a.sessions.Create(ctx, Kind, sess.UserID, in, now, a.expiry(in, now))
	if err != nil {
		return "", fmt.Errorf("console: %w", err)
	}
	a.audit(ctx, EventSignIn, actor, st.UPN, sess.UserID, c, map[string]string{"outcome": "ok", "role": st.Role.String()})
	return tok, nil
}

// expiry is IdleTimeout from now, never past SessionLifetime from sign-in.
func (a *Auth) expiry(st *state, now time.Time) time.Time {
	idle := now.Add(a.policy.IdleTimeout)
	if end := st.SignedIn.Add(a.policy.SessionLifetime); end.Before(idle) {
		return end
	}
	return idle
}

// Load returns the signed-in administrator of token and extends the session by the idle
// timeout (every request counts as activity). The user must still exist and be enabled.
func (a *Auth) Load(ctx context.Context, token string, c flow.Client) (Admin, error) {
	now := a.now().UTC()
	st := &state{}
	sess, err := a.sessions.Load(ctx, token, now, st, Kind)
	if err != nil {
		return Admin{}, err
	}
	if st.Pending {
		return Admin{}, ErrNoSession
	}
	u, err := a.st.UserByUPN(ctx, st.UPN)
	if err != nil || u.ID != sess.UserID || !u.AccountEnabled {
		_ = a.st.DeleteSession(ctx, sess.ID)
		return Admin{}, ErrNoSession
	}
	sess.ExpiresAt = a.expiry(st, now)
	if err := a.sessions.Save(ctx, sess, st); err != nil && !flow.IsKind(err, flow.KindConflict) {
		return Admin{}, err // a concurrent request extended it: fine
	}
	return Admin{UserPrincipalName: u.UserPrincipalName, DisplayName: u.DisplayName, Role: st.Role, Client: c}, nil
}

// SignOut ends the session.
func (a *Auth) SignOut(ctx context.Context, token string, c flow.Client) {
	st := &state{}
	sess, err := a.sessions.Load(ctx, token, a.now().UTC(), st, Kind)
	if err != nil {
		return
	}
	if err := a.st.DeleteSession(ctx, sess.ID); err != nil {
		a.log.Error("console: end session", "err", err)
		return
	}
	a.audit(ctx, EventSignOut, "console:"+st.UPN, st.UPN, sess.UserID, c, nil)
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
