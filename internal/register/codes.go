package register

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sspr/sspr/internal/email"
	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/phone"
	"github.com/sspr/sspr/internal/store"
)

// Code purposes.
const (
	purposePhone = "register:phone"
	purposeEmail = "register:email"
)

// SendPhoneCode normalizes the number the user typed (as the sync does: the same default
// region, the extension stripped) and sends a code to it: a text message, or a call when the
// number cannot receive texts or SMS is not enabled. Nothing is saved until VerifyPhone.
func (s *Service) SendPhoneCode(ctx context.Context, token, number string, c flow.Client) (View, error) {
	channel := ""
	v, err := s.sendPhoneCode(ctx, token, number, c, &channel)
	s.cfg.Metrics.Step(flow.FlowRegister, "send", channel, err)
	return v, err
}

func (s *Service) sendPhoneCode(ctx context.Context, token, number string, c flow.Client, chosen *string) (View, error) {
	sess, st, u, err := s.load(ctx, token)
	if err != nil {
		return View{}, err
	}
	if !s.phoneEnabled() {
		return View{}, userErr(flow.KindInput, "register.phone.disabled")
	}
	n, err := s.cfg.Phones.Normalize(number)
	if err != nil {
		var pe *phone.Error
		if errors.As(err, &pe) && (pe.Reason == phone.NoCountryCode || pe.Reason == phone.UnknownCountryCode) {
			return View{}, userErr(flow.KindInput, "register.phone.noCountryCode")
		}
		return View{}, userErr(flow.KindInput, "register.phone.invalid")
	}
	channel := ""
	switch {
	case s.enabled(flow.MethodSMS) && n.Type.CanReceiveSMS():
		channel = flow.MethodSMS
	case s.enabled(flow.MethodVoice) && n.Type.CanReceiveVoice():
		channel = flow.MethodVoice
	default:
		return View{}, userErr(flow.KindInput, "register.phone.cannotReceive")
	}
	*chosen = channel
	now := s.now().UTC()
	if err := flow.Enforce(ctx, s.st, st.Subject+":phone", s.cfg.Reset.Throttle.Phone, now); err != nil {
		s.audit(ctx, "register.throttled", u.UserPrincipalName, u.ID, c, map[string]string{"step": "send", "method": channel})
		s.cfg.Metrics.Code(flow.FlowRegister, channel, flow.CodeThrottled)
		return View{}, err
	}
	if err := s.sendCode(ctx, sess, u, purposePhone, n.Canonical, channel, now, lang(st, c)); err != nil {
		s.cfg.Metrics.Code(flow.FlowRegister, channel, flow.CodeFailed)
		return View{}, err
	}
	s.cfg.Metrics.Code(flow.FlowRegister, channel, flow.CodeQueued)
	s.audit(ctx, "register.code.sent", u.UserPrincipalName, u.ID, c, map[string]string{"method": channel, "to": phone.Mask(n.Canonical)})
	st.PendingPhone, st.PhoneChannel = n.Canonical, channel
	if err := s.save(ctx, sess, st); err != nil {
		return View{}, err
	}
	return s.view(st, u), nil
}

// SendEmailCode sends a code to the address the user typed. Nothing is saved until VerifyEmail.
func (s *Service) SendEmailCode(ctx context.Context, token, address string, c flow.Client) (View, error) {
	v, err := s.sendEmailCode(ctx, token, address, c)
	s.cfg.Metrics.Step(flow.FlowRegister, "send", flow.MethodEmail, err)
	return v, err
}

func (s *Service) sendEmailCode(ctx context.Context, token, address string, c flow.Client) (View, error) {
	sess, st, u, err := s.load(ctx, token)
	if err != nil {
		return View{}, err
	}
	if !s.emailEnabled() {
		return View{}, userErr(flow.KindInput, "register.email.disabled")
	}
	address = strings.TrimSpace(address)
	if err := validEmail(address); err != nil {
		return View{}, userErr(flow.KindInput, "register.email.invalid")
	}
	now := s.now().UTC()
	if err := flow.Enforce(ctx, s.st, st.Subject+":email", s.cfg.Reset.Throttle.Email, now); err != nil {
		s.audit(ctx, "register.throttled", u.UserPrincipalName, u.ID, c, map[string]string{"step": "send", "method": "email"})
		s.cfg.Metrics.Code(flow.FlowRegister, flow.MethodEmail, flow.CodeThrottled)
		return View{}, err
	}
	if err := s.sendCode(ctx, sess, u, purposeEmail, address, flow.MethodEmail, now, lang(st, c)); err != nil {
		s.cfg.Metrics.Code(flow.FlowRegister, flow.MethodEmail, flow.CodeFailed)
		return View{}, err
	}
	s.cfg.Metrics.Code(flow.FlowRegister, flow.MethodEmail, flow.CodeQueued)
	s.audit(ctx, "register.code.sent", u.UserPrincipalName, u.ID, c, map[string]string{"method": "email", "to": email.Mask(address)})
	st.PendingEmail = address
	if err := s.save(ctx, sess, st); err != nil {
		return View{}, err
	}
	return s.view(st, u), nil
}

func (s *Service) enabled(method string) bool { return slices.Contains(s.cfg.Reset.Methods, method) }

// sendCode stores a code for (session, purpose) bound to dest (a newer code replaces the
// older one), and queues it to dest in lang.
func (s *Service) sendCode(ctx context.Context, sess *store.Session, u store.User, purpose, dest, channel string, now time.Time, lang string) error {
	p := s.cfg.Reset
	masked := email.Mask(dest)
	if channel != flow.MethodEmail {
		masked = phone.Mask(dest)
	}
	code, err := s.codes().Issue(ctx, sess, purpose, dest, masked, now)
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	m := s.texts().CodeMessage(lang, flow.PurposeRegister, channel, dest, code, p.CodeLifetime)
	if err := s.send.Send(ctx, m); err != nil {
		return fmt.Errorf("register: queue code: %w", err)
	}
	return nil
}

// VerifyPhone checks the code sent by SendPhoneCode and saves the number as
// authenticationPhone. The user's email addresses are told; the old phone never is.
func (s *Service) VerifyPhone(ctx context.Context, token, code string, c flow.Client) (View, error) {
	return s.verify(ctx, token, purposePhone, code, c)
}

// VerifyEmail checks the code sent by SendEmailCode and saves the address as
// authenticationEmail. The old address (if any), the new one and the alternate emails are told.
func (s *Service) VerifyEmail(ctx context.Context, token, code string, c flow.Client) (View, error) {
	return s.verify(ctx, token, purposeEmail, code, c)
}

func (s *Service) verify(ctx context.Context, token, purpose, code string, c flow.Client) (View, error) {
	method := flow.MethodEmail
	if purpose == purposePhone {
		method = "phone"
	}
	v, err := s.verifyCode(ctx, token, purpose, code, c)
	s.cfg.Metrics.Step(flow.FlowRegister, "verify", method, err)
	return v, err
}

func (s *Service) verifyCode(ctx context.Context, token, purpose, code string, c flow.Client) (View, error) {
	sess, st, u, err := s.load(ctx, token)
	if err != nil {
		return View{}, err
	}
	dest := st.PendingPhone
	if purpose == purposeEmail {
		dest = st.PendingEmail
	}
	if dest == "" {
		return View{}, userErr(flow.KindProof, "verify.noCode")
	}
	now := s.now().UTC()
	// A wrong code here is not a failed proof (see the package doc): the code's own attempts
	// bound the guessing, and the user already proved their password.
	if wrong, err := s.codes().Check(ctx, sess, purpose, dest, code, now); err != nil {
		if wrong {
			s.audit(ctx, "register.code.failed", u.UserPrincipalName, u.ID, c, map[string]string{"purpose": purpose})
		}
		return View{}, err
	}
	field, typ := store.FieldAuthenticationPhone, "register.phone.changed"
	mask := phone.Mask
	if purpose == purposeEmail {
		field, typ, mask = store.FieldAuthenticationEmail, "register.email.changed", email.Mask
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
		l := lang(st, c)
		tr := s.texts().For(l)
		what := tr.T("mail.registration.email", mask(dest))
		if old != "" && !strings.EqualFold(old, dest) {
			what = tr.T("mail.registration.emailChanged", mask(old), mask(dest))
		}
		s.notify(ctx, l, saved, what, old)
	} else {
		st.PendingPhone, st.PhoneChannel = "", ""
		l := lang(st, c)
		s.notify(ctx, l, saved, s.texts().For(l).T("mail.registration.phone", mask(dest)))
	}
	s.outcome(field, saved, c)
	if err := s.save(ctx, sess, st); err != nil {
		return View{}, err
	}
	return s.view(st, saved), nil
}
