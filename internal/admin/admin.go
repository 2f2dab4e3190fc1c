package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/sspr/sspr/internal/email"
	"github.com/sspr/sspr/internal/phone"
	"github.com/sspr/sspr/internal/store"
)

// Store is what administrative changes need of the store: one write transaction at a time.
type Store interface {
	Update(ctx context.Context, fn func(store.UsersTx) error) error
}

// Normalizer turns a phone value into the canonical form (phone.Normalizer, built with the
// configuration's phone.defaultRegion, the same one the sync uses).
type Normalizer interface {
	Normalize(raw string) (phone.Number, error)
}

// Actor is who makes a change, as the audit log records it.
type Actor struct {
	Name      string // "cli:<os user>" or "admin:<token name>"
	ClientIP  string // API only
	UserAgent string // API only
}

// CLIActor is a local administrator running the sspr command.
func CLIActor(osUser string) Actor { return Actor{Name: "cli:" + osUser} }

// TokenActor is a client of the REST API holding the token named name.
func TokenActor(name, clientIP, userAgent string) Actor {
	return Actor{Name: "admin:" + name, ClientIP: clientIP, UserAgent: userAgent}
}

// Audit event types.
const (
	EventUserUpdated = "admin.user.updated"
	EventUserCreated = "admin.user.created"
	EventUserDeleted = "admin.user.deleted"
)

// Service applies administrative changes.
type Service struct {
	st   Store
	norm Normalizer
	now  func() time.Time
	log  *slog.Logger
}

// WithLog makes s log one line per change it commits (WithLog(nil): none, the default) and
// returns s.
func (s *Service) WithLog(log *slog.Logger) *Service {
	s.log = log
	return s
}

// outcome logs a committed change: the actor, the user and the names of the fields changed,
// never a value.
func (s *Service) outcome(outcome string, actor Actor, upn string, changes []FieldChange) {
	if s.log == nil {
		return
	}
	fields := make([]string, 0, len(changes))
	for _, c := range changes {
		fields = append(fields, c.Field)
	}
	s.log.LogAttrs(context.Background(), slog.LevelInfo, "flow outcome", slog.String("flow", "admin"), slog.String("outcome", outcome),
		slog.String("user", upn), slog.String("actor", actor.Name), slog.String("fields", strings.Join(fields, ",")),
		slog.String("clientIP", actor.ClientIP))
}

// New returns a Service. now may be nil (time.Now).
func New(st Store, n Normalizer, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, norm: n, now: now}
}

// Change is what an administrator asks to change; nil and empty members leave a field alone.
// An empty string (or an empty list) clears a field. AlternateEmails replaces the list, then
// RemoveAlternateEmails and AddAlternateEmails apply, in that order.
type Change struct {
	DisplayName           *string
	MobilePhone           *string
	OfficePhone           *string
	AlternateEmails       *[]string
	AddAlternateEmails    []string
	RemoveAlternateEmails []string
	AccountEnabled        *bool
}

// IsZero reports whether c asks for nothing.
func (c Change) IsZero() bool {
	return c.DisplayName == nil && c.MobilePhone == nil && c.OfficePhone == nil && c.AlternateEmails == nil &&
		len(c.AddAlternateEmails) == 0 && len(c.RemoveAlternateEmails) == 0 && c.AccountEnabled == nil
}

// FieldChange is one field's old and new value, as the user's JSON shows them (lists joined with
// ";"), for the administrator who made the change. Audit events hold masked copies.
type FieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// Result is the outcome of Update or Create.
type Result struct {
	User    store.User
	Changes []FieldChange // empty: nothing changed, nothing was written
	// Notes explain what the change means (an override of the directory's mobilePhone, a
	// landline that cannot receive SMS).
	Notes []string
}

// Sentinel errors; test with errors.Is.
var (
	// ErrInvalid is wrapped by *ValidationError: some value was refused.
	ErrInvalid = errors.New("invalid change")
	// ErrDirectoryUser: the user is synchronized from the directory and cannot be deleted (or
	// created) by an administrator.
	ErrDirectoryUser = errors.New("synchronized from the directory")
)

// Field error codes, stable for API clients.
const (
	CodeInvalid        = "invalid"        // the value cannot be used
	CodeDirectoryOwned = "directoryOwned" // the directory owns this field for this user
	CodeReadOnly       = "readOnly"       // no administrator can set this field
	CodeRequired       = "required"       // the value is missing
	CodeUnknown        = "unknown"        // no such field
)

// FieldError is why one field's value was refused.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e FieldError) String() string { return e.Field + ": " + e.Message }

// ValidationError lists every refused value of one change. Nothing was changed.
type ValidationError struct {
	UserPrincipalName string
	Fields            []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.String()
	}
	return fmt.Sprintf("%s: nothing changed: %s", e.UserPrincipalName, strings.Join(parts, "; "))
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// Update applies c to the user named upn in one transaction with its audit events. ifVersion,
// when not 0, must equal the user's stored Version (the API's If-Match), else the error wraps
// store.ErrVersionMismatch. An unknown user wraps store.ErrNotFound; a refused value is a
// *ValidationError and changes nothing.
func (s *Service) Update(ctx context.Context, actor Actor, upn string, ifVersion int64, c Change) (Result, error) {
	var res Result
	err := s.st.Update(ctx, func(tx store.UsersTx) error {
		u, err := tx.UserByUPN(ctx, upn)
		if err != nil {
			return err
		}
		if ifVersion != 0 && u.Version != ifVersion {
			return fmt.Errorf("user %q is at version %d, not %d: %w", u.UserPrincipalName, u.Version, ifVersion, store.ErrVersionMismatch)
		}
		res, err = s.update(ctx, tx, actor, u, c, nil)
		return err
	})
	if err != nil {
		return Result{}, err
	}
	if len(res.Changes) > 0 {
		s.outcome("updated", actor, res.User.UserPrincipalName, res.Changes)
	}
	return res, nil
}

// update plans c on u and, when it changes something, writes u and one audit event per field.
func (s *Service) update(ctx context.Context, tx store.UsersTx, actor Actor, u store.User, c Change, extra map[string]string) (Result, error) {
	p := s.plan(&u, c)
	if len(p.errs) > 0 {
		return Result{}, &ValidationError{UserPrincipalName: u.UserPrincipalName, Fields: p.errs}
	}
	res := Result{User: u, Changes: p.changes, Notes: p.notes}
	if len(p.changes) == 0 {
		return res, nil
	}
	if err := tx.UpdateUser(ctx, &u); err != nil {
		return Result{}, err
	}
	res.User = u
	now := s.now()
	for _, ch := range p.changes {
		d := map[string]string{"field": ch.Field, "old": mask(ch.Field, ch.Old), "new": mask(ch.Field, ch.New)}
		if ch.Field == store.FieldMobilePhone && u.Source == store.SourceDirectory {
			d["override"] = fmt.Sprint(u.MobilePhoneOverridden)
		}
		for k, v := range extra {
			d[k] = v
		}
		if err := tx.AppendAudit(ctx, s.event(EventUserUpdated, actor, u, now, d)); err != nil {
			return Result{}, err
		}
	}
	return res, nil
}

func (s *Service) event(typ string, actor Actor, u store.User, at time.Time, d map[string]string) *store.AuditEvent {
	return &store.AuditEvent{Time: at, Type: typ, Actor: actor.Name, UserID: u.ID, UserPrincipalName: u.UserPrincipalName,
		ClientIP: actor.ClientIP, UserAgent: actor.UserAgent, Details: d}
}

// Create adds a user who is not in the directory ("cloud-only" in the reference document's
// words) with the values of c; AccountEnabled defaults to true. A taken userPrincipalName wraps
// store.ErrConflict.
func (s *Service) Create(ctx context.Context, actor Actor, upn string, c Change) (Result, error) {
	var res Result
	err := s.st.Update(ctx, func(tx store.UsersTx) error {
		var err error
		res, err = s.create(ctx, tx, actor, upn, c, nil)
		return err
	})
	if err != nil {
		return Result{}, err
	}
	s.outcome("created", actor, res.User.UserPrincipalName, res.Changes)
	return res, nil
}

func (s *Service) create(ctx context.Context, tx store.UsersTx, actor Actor, upn string, c Change, extra map[string]string) (Result, error) {
	upn = strings.TrimSpace(upn)
	u, p := s.planCreate(upn, c)
	if len(p.errs) > 0 {
		return Result{}, &ValidationError{UserPrincipalName: upn, Fields: p.errs}
	}
	if err := tx.CreateUser(ctx, &u); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return Result{}, fmt.Errorf("a user named %q exists: %w", upn, err)
		}
		return Result{}, err
	}
	d := map[string]string{"source": string(store.SourceCloud)}
	for _, ch := range p.changes {
		d[ch.Field] = mask(ch.Field, ch.New)
	}
	for k, v := range extra {
		d[k] = v
	}
	if err := tx.AppendAudit(ctx, s.event(EventUserCreated, actor, u, s.now(), d)); err != nil {
		return Result{}, err
	}
	return Result{User: u, Changes: p.changes, Notes: p.notes}, nil
}

// planCreate builds a new cloud user from c.
func (s *Service) planCreate(upn string, c Change) (store.User, plan) {
	u := store.User{Source: store.SourceCloud, UserPrincipalName: upn, AccountEnabled: true}
	var p plan
	if reason := checkUPN(upn); reason != "" {
		p.errs = append(p.errs, FieldError{Field: store.FieldUserPrincipalName, Code: CodeInvalid, Message: reason})
	}
	q := s.plan(&u, c)
	p.changes, p.notes, p.errs = q.changes, q.notes, append(p.errs, q.errs...)
	return u, p
}

// Delete removes a cloud user with everything that belongs to it. A directory user wraps
// ErrDirectoryUser: the sync owns it. ifVersion works as in Update.
func (s *Service) Delete(ctx context.Context, actor Actor, upn string, ifVersion int64) error {
	var deleted string
	err := s.st.Update(ctx, func(tx store.UsersTx) error {
		u, err := tx.UserByUPN(ctx, upn)
		if err != nil {
			return err
		}
		if u.Source == store.SourceDirectory {
			return fmt.Errorf("%s is %w, which owns it: an administrator cannot delete it; remove it from the directory "+
				"or from the sync's scope, or disable the account there", u.UserPrincipalName, ErrDirectoryUser)
		}
		if ifVersion != 0 && u.Version != ifVersion {
			return fmt.Errorf("user %q is at version %d, not %d: %w", u.UserPrincipalName, u.Version, ifVersion, store.ErrVersionMismatch)
		}
		if err := tx.DeleteUser(ctx, u.ID); err != nil {
			return err
		}
		deleted = u.UserPrincipalName
		return tx.AppendAudit(ctx, s.event(EventUserDeleted, actor, u, s.now(), map[string]string{"source": string(u.Source)}))
	})
	if err == nil {
		s.outcome("deleted", actor, deleted, nil)
	}
	return err
}

// mask hides a field's value for the audit log: phones as phone.Mask, emails as
// email.Mask; other fields are not contact data and stay as they are.
func mask(field, v string) string {
	if v == "" {
		return ""
	}
	switch field {
	case store.FieldMobilePhone, store.FieldOfficePhone, store.FieldAuthenticationPhone:
		return phone.Mask(v)
	case store.FieldAlternateEmails, store.FieldAuthenticationEmail:
		parts := strings.Split(v, ";")
		for i, p := range parts {
			parts[i] = email.Mask(p)
		}
		return strings.Join(parts, ";")
	}
	return v
}
