package change

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/i18n"
	"github.com/sspr/sspr/internal/password"
	"github.com/sspr/sspr/internal/store"
)

// Kind names the flow in audit events and pages.
const Kind = "change"

// Store is what the flow needs of the store.
type Store interface {
	UserByUPN(ctx context.Context, upn string) (store.User, error)
	store.Throttles
	store.Audit
}

// Directory changes a password as the user's own change (writeback.Directory). Its errors
// carry Reason() (wrongPassword, notFound, locked, disabled, expired, mustChange, tooShort,
// complexity, history, tooYoung, notPermitted, unavailable, failed).
type Directory interface {
	ChangePassword(ctx context.Context, userDN, oldPassword, newPassword string) error
}

// Config is the Service's wiring.
type Config struct {
	// Policy is the reset policy: its throttles (failedProofs, failedProofsIP, startsIP).
	Policy flow.Policy
	// Password is sspr's own rules for a new password, as at reset.
	Password password.Policy
	// NameKey keys the throttle subject of names that match nobody: the registration
	// portal's and the reset flow's key, so that a name counts once across them.
	NameKey     []byte
	CompanyName string
	// Texts is the message catalog (nil: the built-in one).
	Texts *i18n.Bundle
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Service runs the change flow. Safe for concurrent use.
type Service struct {
	st   Store
	send flow.Sender
	dir  Directory
	cfg  Config
	log  *slog.Logger
}

// New builds a Service.
func New(st Store, send flow.Sender, dir Directory, cfg Config, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Password == (password.Policy{}) {
		cfg.Password = password.Default()
	}
	cfg.Policy = cfg.Policy.WithDefaults()
	return &Service{st: st, send: send, dir: dir, cfg: cfg, log: log}
}

// PasswordPolicy returns sspr's rules for the new password (shown before typing).
func (s *Service) PasswordPolicy() password.Policy { return s.cfg.Password }

func userErr(k flow.Kind, key, reason string, args ...any) *flow.Error {
	e := flow.Errorf(k, key, args...)
	e.Reason = reason
	return e
}

func (s *Service) audit(ctx context.Context, typ, upn, userID string, c flow.Client, details map[string]string) {
	e := &store.AuditEvent{Time: s.cfg.Now().UTC(), Type: typ, Actor: "user", UserID: userID, UserPrincipalName: upn,
		ClientIP: c.IP, UserAgent: truncate(c.UserAgent, 256), Details: details}
	if err := s.st.AppendAudit(ctx, e); err != nil {
		s.log.Error("audit", "type", typ, "err", err)
	}
}

// Change changes the password of the user named name from current to newPassword. A name
// that matches no enabled user fails exactly as a wrong current password does.
func (s *Service) Change(ctx context.Context, name, current, newPassword string, c flow.Client) error {
	name = strings.TrimSpace(name)
	if name == "" || current == "" || newPassword == "" {
		return userErr(flow.KindInput, "change.required", "")
	}
	if utf8.RuneCountInString(name) > 256 || !utf8.ValidString(name) || len(current) > 1024 {
		return userErr(flow.KindSignIn, "change.failed", "wrongPassword")
	}
	now := s.cfg.Now().UTC()
	t := s.cfg.Policy.Throttle
	if err := flow.Enforce(ctx, s.st, flow.IPKey(c, Kind), t.StartsIP, now); err != nil {
		s.audit(ctx, "change.throttled", name, "", c, map[string]string{"scope": "ip"})
		return err
	}
	// sspr's rules, against the typed name only: a rule about the display name would answer
	// differently for names that exist.
	if err := s.cfg.Password.Check(newPassword, name); err != nil {
		var p *password.Problem
		if errors.As(err, &p) {
			return userErr(flow.KindPassword, p.Key, "policy", p.Args...)
		}
		return fmt.Errorf("change: %w", err)
	}
	u, err := s.st.UserByUPN(ctx, name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("change: look up user: %w", err)
	}
	known := err == nil && u.AccountEnabled && u.DN != ""
	subject, userID, upn := "n:"+flow.NameKey(s.cfg.NameKey, name), "", name
	if known {
		subject, userID, upn = "u:"+u.ID, u.ID, u.UserPrincipalName
	}
	// The registration sign-in's counters: a wrong password here counts there, and back.
	failed := []flow.Counter{{Key: subject + ":signin", Limit: t.FailedProofs}, {Key: flow.IPKey(c, "signin-failed"), Limit: t.FailedProofsIP}}
	if err := flow.CheckLocks(ctx, s.st, now, failed[0].Key, failed[1].Key); err != nil {
		s.audit(ctx, "change.throttled", upn, userID, c, nil)
		return err
	}
	// Unknown names do the same directory work, as a DN that cannot exist.
	dn := "cn=sspr-nobody-" + flow.NameKey(s.cfg.NameKey, name)
	if known {
		dn = u.DN
	}
	reason := ""
	if err := s.dir.ChangePassword(ctx, dn, current, newPassword); err != nil {
		reason = reasonOf(err)
		if known {
			s.log.Info("password change refused", "user", u.UserPrincipalName, "reason", reason, "err", err)
		}
	}
	if !known && reason != "" && reason != "unavailable" {
		reason = "wrongPassword"
	}
	// AD may say locked or disabled whatever the password: both read as a wrong password
	// (the message mentions a locked account), as at the registration sign-in.
	if reason == "locked" || reason == "disabled" || reason == "notFound" {
		reason = "wrongPassword"
	}
	if reason == "" {
		s.audit(ctx, "change.done", upn, userID, c, nil)
		if err := s.st.ClearThrottles(ctx, subject+":signin"); err != nil {
			s.log.Error("clear throttles", "err", err)
		}
		s.notify(ctx, u, now, c.Lang)
		return nil
	}
	detail := reason
	if !known && reason == "wrongPassword" {
		detail = "unknownName"
	}
	s.audit(ctx, "change.failed", upn, userID, c, map[string]string{"reason": detail})
	switch reason {
	case "wrongPassword":
		if _, until, err := flow.Failure(ctx, s.st, now, failed...); err != nil {
			return fmt.Errorf("change: %w", err)
		} else if !until.IsZero() {
			s.audit(ctx, "change.lockedOut", upn, userID, c, map[string]string{"until": until.Format(time.RFC3339)})
			return flow.Locked(until)
		}
		return userErr(flow.KindSignIn, "change.failed", reason)
	case "expired", "mustChange":
		return userErr(flow.KindSignIn, "change."+reason, reason)
	case "tooShort", "complexity", "history", "tooYoung":
		return userErr(flow.KindPassword, "writeback."+reason, reason)
	case "notPermitted":
		return userErr(flow.KindDirectory, "change.notPermitted", reason)
	case "unavailable":
		return userErr(flow.KindDirectory, "writeback.unavailable", reason)
	}
	return userErr(flow.KindDirectory, "writeback.failed", reason)
}

// reasonOf is the Reason of a directory error ("failed" when it has none).
func reasonOf(err error) string {
	var r interface{ Reason() string }
	if errors.As(err, &r) && r.Reason() != "" {
		return r.Reason()
	}
	return "failed"
}

// notify mails every address the user is known by, in lang (the page's); never the password.
func (s *Service) notify(ctx context.Context, u store.User, now time.Time, lang string) {
	texts := flow.Texts{Bundle: s.cfg.Texts, Company: s.cfg.CompanyName}
	subject, body := texts.Notice(lang, "change", u.UserPrincipalName, now, "")
	flow.NotifyByEmail(ctx, s.send, s.log, u, texts.Lang(lang), subject, body)
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
