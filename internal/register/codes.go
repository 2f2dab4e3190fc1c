package register

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sspr/sspr/internal/phone"
	"github.com/sspr/sspr/internal/reset"
	"github.com/sspr/sspr/internal/store"
)

// Code purposes.
const (
	purposePhone = "register:phone"
	purposeEmail = "register:email"
)

func (s *Service) codeMAC(sessionID, purpose, dest, code string) []byte {
	mac := hmac.New(sha256.New, s.cfg.CodeKey)
	mac.Write([]byte(sessionID + "\x00" + purpose + "\x00" + strings.ToLower(dest) + "\x00" + code))
	return mac.Sum(nil)
}

// SendPhoneCode normalizes the number the user typed (as the sync does: the same default
// region, the extension stripped) and sends a code to it: a text message, or a call when the
// number cannot receive texts or SMS is not enabled. Nothing is saved until VerifyPhone.
func (s *Service) SendPhoneCode(ctx context.Context, token, number string, c reset.Client) (View, error) {
	sess, st, u, err := s.load(ctx, token)
	if err != nil {
		return View{}, err
	}
	if !s.phoneEnabled() {
		return View{}, userErr("register.phone.disabled")
	}
	n, err := s.cfg.Phones.Normalize(number)
	if err != nil {
		var pe *phone.Error
		if errors.As(err, &pe) && (pe.Reason == phone.NoCountryCode || pe.Reason == phone.UnknownCountryCode) {
			return View{}, userErr("register.phone.noCountryCode")
		}
		return View{}, userErr("register.phone.invalid")
	}
	channel := ""
	switch {
	case s.enabled(reset.MethodSMS) && n.Type.CanReceiveSMS():
		channel = reset.MethodSMS
	case s.enabled(reset.MethodVoice) && n.Type.CanReceiveVoice():
		channel = reset.MethodVoice
	default:
		return View{}, userErr("register.phone.cannotReceive")
	}
	now := s.now().UTC()
	if err := reset.Enforce(ctx, s.st, st.Subject+":phone", s.cfg.Reset.Throttle.Phone, now); err != nil {
		s.audit(ctx, "register.throttled", u.UserPrincipalName, u.ID, c, map[string]string{"step": "send", "method": channel})
		return View{}, err
	}
	if err := s.sendCode(ctx, sess, u, purposePhone, n.Canonical, channel, now); err != nil {
		return View{}, err
	}
	s.audit(ctx, "register.code.sent", u.UserPrincipalName, u.ID, c, map[string]string{"method": channel, "to": phone.Mask(n.Canonical)})
	st.PendingPhone, st.PhoneChannel = n.Canonical, channel
	if err := s.save(ctx, sess, st); err != nil {
		return View{}, err
	}
	return s.view(st, u), nil
}

// SendEmailCode sends a code to the address the user typed. Nothing is saved until VerifyEmail.
func (s *Service) SendEmailCode(ctx context.Context, token, address string, c reset.Client) (View, error) {
	sess, st, u, err := s.load(ctx, token)
	if err != nil {
		return View{}, err
	}
	if !s.emailEnabled() {
		return View{}, userErr("register.email.disabled")
	}
	address = strings.TrimSpace(address)
	if err := validEmail(address); err != nil {
		return View{}, userErr("register.email.invalid")
	}
	now := s.now().UTC()
	if err := reset.Enforce(ctx, s.st, st.Subject+":email", s.cfg.Reset.Throttle.Email, now); err != nil {
		s.audit(ctx, "register.throttled", u.UserPrincipalName, u.ID, c, map[string]string{"step": "send", "method": "email"})
		return View{}, err
	}
	if err := s.sendCode(ctx, sess, u, purposeEmail, address, reset.MethodEmail, now); err != nil {
		return View{}, err
	}
	s.audit(ctx, "register.code.sent", u.UserPrincipalName, u.ID, c, map[string]string{"method": "email", "to": phone.MaskEmail(address)})
	st.PendingEmail = address
	if err := s.save(ctx, sess, st); err != nil {
		return View{}, err
	}
	return s.view(st, u), nil
}

func (s *Service) enabled(method string) bool { return slices.Contains(s.cfg.Reset.Methods, method) }

// sendCode stores a code for (session, purpose) bound to dest (a newer code replaces the
// older one), and queues it to dest.
func (s *Service) sendCode(ctx context.Context, sess *store.Session, u store.User, purpose, dest, channel string, now time.Time) error {
	p := s.cfg.Reset
	code := reset.NewCode(p.CodeLength)
	masked := phone.MaskEmail(dest)
	if channel != reset.MethodEmail {
		masked = phone.Mask(dest)
	}
	rec := &store.Code{SessionID: sess.ID, UserID: u.ID, Purpose: purpose, Destination: masked,
		MAC: s.codeMAC(sess.ID, purpose, dest, code), MaxAttempts: p.CodeMaxAttempts, CreatedAt: now, ExpiresAt: now.Add(p.CodeLifetime)}
	if err := s.st.CreateCode(ctx, rec); err != nil {
		return fmt.Errorf("register: code: %w", err)
	}
	company := s.cfg.CompanyName
	if company == "" {
		company = "your organization"
	}
	minutes := int(p.CodeLifetime.Minutes())
	var m reset.Message
	switch channel {
	case reset.MethodEmail:
		m = reset.Message{Channel: "email", To: dest, Subject: fmt.Sprintf("Your %s verification code", company),
			Body: fmt.Sprintf("Your verification code is %s\n\nEnter it at %s to register this address for password reset. "+
				"It expires in %d minutes.\nIf you did not ask for it, ignore this message.\n", code, s.cfg.PublicURL, minutes)}
	case reset.MethodSMS:
		m = reset.Message{Channel: "sms", To: strings.ReplaceAll(dest, " ", ""),
			Body: fmt.Sprintf("%s verification code: %s (valid %d min) to register this phone. Do not share it.", company, code, minutes)}
	default:
		m = reset.Message{Channel: "voice", To: strings.ReplaceAll(dest, " ", ""), Body: code}
	}
	if err := s.send.Send(ctx, m); err != nil {
		return fmt.Errorf("register: queue code: %w", err)
	}
	return nil
}

// VerifyPhone checks the code sent by SendPhoneCode and saves the number as
// authenticationPhone. The user's email addresses are told; the old phone never is.
func (s *Service) VerifyPhone(ctx context.Context, token, code string, c reset.Client) (View, error) {
	return s.verify(ctx, token, purposePhone, code, c)
}

// VerifyEmail checks the code sent by SendEmailCode and saves the address as
// authenticationEmail. The old address (if any), the new one and the alternate emails are told.
func (s *Service) VerifyEmail(ctx context.Context, token, code string, c reset.Client) (View, error) {
	return s.verify(ctx, token, purposeEmail, code, c)
}

func (s *Service) verify(ctx context.Context, token, purpose, code string, c reset.Client) (View, error) {
	sess, st, u, err := s.load(ctx, token)
	if err != nil {
		return View{}, err
	}
	dest := st.PendingPhone
	if purpose == purposeEmail {
		dest = st.PendingEmail
	}
	if dest == "" {
		return View{}, userErr("verify.noCode")
	}
	now := s.now().UTC()
	rec, err := s.st.ActiveCode(ctx, sess.ID, purpose, now)
	if errors.Is(err, store.ErrNotFound) {
		return View{}, userErr("verify.noCode")
	}
	if err != nil {
		return View{}, fmt.Errorf("register: code: %w", err)
	}
	// The attempt is counted before the comparison.
	rec, err = s.st.CountAttempt(ctx, rec.ID, now)
	if errors.Is(err, store.ErrExhausted) {
		return View{}, userErr("verify.exhausted")
	}
	if err != nil {
		return View{}, fmt.Errorf("register: code: %w", err)
	}
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if !hmac.Equal(rec.MAC, s.codeMAC(sess.ID, purpose, dest, code)) {
		s.audit(ctx, "register.code.failed", u.UserPrincipalName, u.ID, c, map[string]string{"purpose": purpose})
		if left := rec.MaxAttempts - rec.Attempts; left > 0 {
			return View{}, userErr("verify.wrong", left)
		}
		return View{}, userErr("verify.exhausted")
	}
	if err := s.st.ConsumeCode(ctx, rec.ID, now); err != nil {
		if errors.Is(err, store.ErrExhausted) {
			return View{}, userErr("verify.exhausted")
		}
		return View{}, fmt.Errorf("register: code: %w", err)
	}
	field, typ := store.FieldAuthenticationPhone, "register.phone.changed"
	mask := phone.Mask
	if purpose == purposeEmail {
		field, typ, mask = store.FieldAuthenticationEmail, "register.email.changed", phone.MaskEmail
	}
	var old string
	var saved store.User
	err = s.st.Update(ctx, func(tx store.UsersTx) error {
		cur, err := tx.UserByID(ctx, u.ID)
		if err != nil {
			return err
		}
		if purpose == purposeEmail {
			old, cur.AuthenticationEmail = cur.AuthenticationEmail, dest
		} else {
			old, cur.AuthenticationPhone = cur.AuthenticationPhone, dest
		}
		if err := tx.UpdateUser(ctx, &cur); err != nil {
			return err
		}
		saved = cur
		details := map[string]string{"field": field, "new": mask(dest)}
		if old != "" {
			details["old"] = mask(old)
		}
		return tx.AppendAudit(ctx, &store.AuditEvent{Time: now, Type: typ, Actor: "user", UserID: u.ID,
			UserPrincipalName: u.UserPrincipalName, ClientIP: c.IP, UserAgent: truncate(c.UserAgent, 256), Details: details})
	})
	if err != nil {
		return View{}, fmt.Errorf("register: save %s: %w", field, err)
	}
	if purpose == purposeEmail {
		st.PendingEmail = ""
		what := "Authentication email: " + mask(dest)
		if old != "" && !strings.EqualFold(old, dest) {
			what = fmt.Sprintf("Authentication email changed from %s to %s", mask(old), mask(dest))
		}
		s.notify(ctx, saved, what, old)
	} else {
		st.PendingPhone, st.PhoneChannel = "", ""
		s.notify(ctx, saved, "Authentication phone: "+mask(dest))
	}
	if err := s.save(ctx, sess, st); err != nil {
		return View{}, err
	}
	return s.view(st, saved), nil
}
