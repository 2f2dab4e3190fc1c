package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sspr/sspr/internal/admin"
	"github.com/sspr/sspr/internal/report"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/userview"
)

// usersPageSize is how many users one page of the users list shows.
const usersPageSize = 50

// usersChunk is how many users the list reads at a time when it filters on what the store cannot
// (readiness, reason, registered, locked). A variable for the test of the chunks' seams.
var usersChunk = 1000

// UserQuery is the users list's search and filters. Zero values mean any.
type UserQuery struct {
	Search     string // a substring of userPrincipalName or displayName
	Readiness  string // ready | notReady
	Reason     string // why an enabled user is not ready: a report.Reason* key
	Source     string // directory | cloud
	Registered string // yes | no
	Locked     string // yes | no: locked out of reset by sspr's failed-proof limit now
	After      string // the last userPrincipalName of the previous page
}

func parseUserQuery(v url.Values) UserQuery {
	pick := func(key string, allowed ...string) string {
		s := v.Get(key)
		for _, a := range allowed {
			if s == a {
				return s
			}
		}
		return ""
	}
	return UserQuery{Search: strings.TrimSpace(v.Get("q")), Readiness: pick("readiness", "ready", "notReady"),
		Reason: pick("reason", report.AllReasons...), Source: pick("source", string(store.SourceDirectory), string(store.SourceCloud)),
		Registered: pick("registered", "yes", "no"), Locked: pick("locked", "yes", "no"), After: v.Get("after")}
}

// Values is q as URL parameters (without After).
func (q UserQuery) Values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"q": q.Search, "readiness": q.Readiness, "reason": q.Reason, "source": q.Source,
		"registered": q.Registered, "locked": q.Locked} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// UserRow is one user of the list.
type UserRow struct {
	report.Readiness
	Source      string
	LockedUntil time.Time
}

// lockKey is the throttle key that locks a user out of reset after failed proofs (the reset
// flow's).
func lockKey(userID string) string { return "u:" + userID + ":failed" }

// listUsers returns a page of the users q matches, in userPrincipalName order, and whether
// more follow.
func (s *Server) listUsers(ctx context.Context, q UserQuery) ([]UserRow, bool, error) {
	as, err := s.assessor(ctx)
	if err != nil {
		return nil, false, err
	}
	now := s.cfg.Now()
	// The users locked out of reset now, in one read (few), instead of one read per user.
	locks := map[string]time.Time{}
	if err := s.st.Locked(ctx, "u:", now, func(key string, until time.Time) error {
		locks[key] = until
		return nil
	}); err != nil {
		return nil, false, fmt.Errorf("console: users: %w", err)
	}
	if q.Locked == "yes" && len(locks) == 0 {
		return nil, false, nil // nobody is locked out: no user to read
	}
	var rows []UserRow
	more := false
	errEnough := errors.New("enough")
	// Read in chunks (keyset, store.UserFilter.Limit): a listing left early would still send
	// every remaining row (PostgreSQL), so a page reads about what it shows. Without a filter
	// decided here, one chunk is the page and the next user.
	chunk := usersChunk
	if q.Readiness == "" && q.Registered == "" && q.Reason == "" && q.Locked == "" {
		chunk = usersPageSize + 1
	}
	after := q.After
	for {
		n, last := 0, ""
		err = s.st.ListUsers(ctx, store.UserFilter{Search: q.Search, Source: store.Source(q.Source), AfterUPN: after, Limit: chunk}, func(u store.User) error {
			n, last = n+1, u.UserPrincipalName
			r := as.Assess(u)
			switch {
			case q.Readiness == "ready" && !r.Ready, q.Readiness == "notReady" && r.Ready,
				q.Registered == "yes" && !r.Registered, q.Registered == "no" && r.Registered:
				return nil
			}
			if q.Reason != "" && r.Reason() != q.Reason {
				return nil
			}
			until := locks[lockKey(u.ID)]
			if q.Locked == "yes" && until.IsZero() || q.Locked == "no" && !until.IsZero() {
				return nil
			}
			if len(rows) == usersPageSize {
				more = true
				return errEnough
			}
			rows = append(rows, UserRow{Readiness: r, Source: string(u.Source), LockedUntil: until})
			return nil
		})
		if errors.Is(err, errEnough) || err == nil && n < chunk {
			break
		}
		if err != nil {
			return nil, false, fmt.Errorf("console: users: %w", err)
		}
		after = last
	}
	return rows, more, nil
}

// assessorTTL is how long the readiness assessor is reused. Building it reads every user (how
// many hold each phone number) and the recent contact changes: once per page would make a page
// of 50 users read them all. The users' own records are read fresh on each page; an action in the
// console drops the assessor at once (redirect).
const assessorTTL = time.Minute

// assessor returns the readiness assessor, built at most once per assessorTTL (one build at a
// time: the others wait for it).
func (s *Server) assessor(ctx context.Context) (report.Assessor, error) {
	s.asMu.Lock()
	defer s.asMu.Unlock()
	now := s.cfg.Now()
	if s.as != nil && !now.Before(s.asAt) && now.Sub(s.asAt) < assessorTTL {
		return *s.as, nil
	}
	as, err := report.NewAssessor(ctx, s.st, s.cfg.Reset)
	if err != nil {
		return report.Assessor{}, err
	}
	s.as, s.asAt = &as, now
	return as, nil
}

// dropAssessor makes the next page build the assessor again (after an action).
func (s *Server) dropAssessor() {
	s.asMu.Lock()
	s.as = nil
	s.asMu.Unlock()
}

type usersData struct {
	Reasons []string // report.AllReasons: the catalog's console.reason.<reason>
	Query   UserQuery
	Rows    []UserRow
	More    bool
	Next    string // the next page's URL
}

func (s *Server) users(w http.ResponseWriter, r *http.Request, a *Admin) {
	q := parseUserQuery(r.URL.Query())
	rows, more, err := s.listUsers(r.Context(), q)
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	d := usersData{Query: q, Rows: rows, More: more}
	d.Reasons = report.AllReasons
	if more {
		v := q.Values()
		v.Set("after", rows[len(rows)-1].UserPrincipalName)
		d.Next = "/admin/users?" + v.Encode()
	}
	if len(q.Values()) > 0 {
		det := map[string]string{}
		for k := range q.Values() {
			det[k] = q.Values().Get(k)
		}
		s.record(r.Context(), a, EventUsersSearched, "", "", det)
	}
	p := s.newPage(w, r, "console.users.title", "users", a)
	p.Data = d
	s.render(w, "users", http.StatusOK, p)
}

// Registration is what the console shows of a user's registration: never the questions or
// their answers, only how many and when.
type Registration struct {
	AuthenticationPhone string
	AuthenticationEmail string
	QuestionsCount      int
	QuestionsAt         *time.Time
}

type userData struct {
	User         userview.User
	Stored       store.User
	Readiness    report.Readiness
	Explain      *report.Explanation
	ExplainErr   string
	Registration Registration
	LockedUntil  time.Time
	Events       []store.AuditEvent
	Actions      []store.AuditEvent
	FieldErrors  []admin.FieldError
	CanSync      bool
	// Form values to show again after a refused change.
	MobilePhone, OfficePhone, AlternateEmails string
}

// adminActor reports whether an audit actor is an administrator (console, API token, CLI).
func adminActor(actor string) bool {
	return strings.HasPrefix(actor, "console:") || strings.HasPrefix(actor, "admin:") || strings.HasPrefix(actor, "cli:")
}

func (s *Server) userData(ctx context.Context, upn string) (userData, error) {
	u, err := s.st.UserByUPN(ctx, upn)
	if err != nil {
		return userData{}, err
	}
	as, err := s.assessor(ctx)
	if err != nil {
		return userData{}, err
	}
	d := userData{User: userview.FromStore(u), Stored: u, Readiness: as.Assess(u),
		Registration: Registration{AuthenticationPhone: u.AuthenticationPhone, AuthenticationEmail: u.AuthenticationEmail,
			QuestionsCount: u.SecurityQuestionsCount, QuestionsAt: u.SecurityQuestionsRegisteredAt}}
	d.MobilePhone, d.OfficePhone = u.MobilePhone.Raw, u.OfficePhone.Raw
	d.AlternateEmails = strings.Join(u.AlternateEmails, "\n")
	if d.LockedUntil, err = s.st.LockedUntil(ctx, lockKey(u.ID), s.cfg.Now()); err != nil {
		return userData{}, err
	}
	if s.cfg.Explain != nil {
		if x, err := s.cfg.Explain(ctx, u.UserPrincipalName); err != nil {
			d.ExplainErr = err.Error()
		} else {
			d.Explain = &x
		}
	}
	// The user's recent events, and the administrators' actions on the user (among the last
	// 1000 events of the user).
	n := 0
	err = s.st.ListAudit(ctx, store.AuditFilter{UserPrincipalName: u.UserPrincipalName, Limit: 1000}, func(e store.AuditEvent) error {
		n++
		if adminActor(e.Actor) {
			if len(d.Actions) < 20 {
				d.Actions = append(d.Actions, e)
			}
		} else if len(d.Events) < 20 {
			d.Events = append(d.Events, e)
		}
		return nil
	})
	if err != nil {
		return userData{}, fmt.Errorf("console: user events: %w", err)
	}
	d.CanSync = s.syncer != nil
	return d, nil
}

func (s *Server) user(w http.ResponseWriter, r *http.Request, a *Admin) {
	s.showUser(w, r, a, http.StatusOK, "", "", nil)
}

// showUser renders the user page, with a notice or an error and the form's values.
func (s *Server) showUser(w http.ResponseWriter, r *http.Request, a *Admin, status int, notice, errKey string, form *userData) {
	upn := r.PathValue("upn")
	d, err := s.userData(r.Context(), upn)
	if errors.Is(err, store.ErrNotFound) {
		s.notFound(w, r, a, upn)
		return
	}
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	if r.Method == http.MethodGet {
		s.record(r.Context(), a, EventUserViewed, d.Stored.UserPrincipalName, d.Stored.ID, nil)
	}
	if form != nil {
		d.MobilePhone, d.OfficePhone, d.AlternateEmails, d.FieldErrors = form.MobilePhone, form.OfficePhone, form.AlternateEmails, form.FieldErrors
	}
	p := s.newPage(w, r, "", "users", a)
	p.Title, p.Data = d.Stored.UserPrincipalName, d
	if notice != "" || errKey != "" {
		p.Notice, p.Error = "", p.Tr.T(errKey)
	}
	s.render(w, "user", status, p)
}

// target reads the user the path names; it answers 404 (or 500) and returns false when it
// cannot.
func (s *Server) target(w http.ResponseWriter, r *http.Request, a *Admin) (store.User, bool) {
	upn := r.PathValue("upn")
	u, err := s.st.UserByUPN(r.Context(), upn)
	if errors.Is(err, store.ErrNotFound) {
		s.notFound(w, r, a, upn)
		return store.User{}, false
	}
	if err != nil {
		s.fail(w, r, a, err)
		return store.User{}, false
	}
	return u, true
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request, a *Admin, upn string) {
	s.message(w, r, a, http.StatusNotFound, "console.user.notFound.title", "console.user.notFound.body", upn)
}

func (s *Server) actor(a *Admin) admin.Actor {
	return admin.Actor{Name: a.Actor(), ClientIP: a.Client.IP, UserAgent: truncate(a.Client.UserAgent, 256)}
}

// splitList reads a list typed one per line or separated by commas or semicolons.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' || r == ';' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// setFields changes mobilePhone, officePhone and alternateEmails with the rules of package
// admin (the CLI's and the API's): only the fields whose value differs from the stored one are
// asked for, so an unchanged directory-owned field is no refusal.
func (s *Server) setFields(w http.ResponseWriter, r *http.Request, a *Admin) {
	u, ok := s.target(w, r, a)
	if !ok {
		return
	}
	form := &userData{MobilePhone: r.PostFormValue(store.FieldMobilePhone), OfficePhone: r.PostFormValue(store.FieldOfficePhone),
		AlternateEmails: r.PostFormValue(store.FieldAlternateEmails)}
	var c admin.Change
	if v := strings.TrimSpace(form.MobilePhone); v != u.MobilePhone.Raw {
		c.MobilePhone = &v
	}
	if v := strings.TrimSpace(form.OfficePhone); v != u.OfficePhone.Raw {
		c.OfficePhone = &v
	}
	if l := splitList(form.AlternateEmails); strings.Join(l, "\n") != strings.Join(u.AlternateEmails, "\n") {
		c.AlternateEmails = &l
	}
	if c.IsZero() {
		s.redirect(w, r, userPath(u.UserPrincipalName), flash{Notice: "console.flash.unchanged"})
		return
	}
	res, err := s.admin.Update(r.Context(), s.actor(a), u.UserPrincipalName, u.Version, c)
	var ve *admin.ValidationError
	switch {
	case errors.As(err, &ve):
		form.FieldErrors = ve.Fields
		s.showUser(w, r, a, http.StatusUnprocessableEntity, "", "console.flash.refused", form)
		return
	case errors.Is(err, store.ErrVersionMismatch):
		s.showUser(w, r, a, http.StatusConflict, "", "console.flash.conflict", form)
		return
	case err != nil:
		s.fail(w, r, a, err)
		return
	}
	var changed []string
	for _, ch := range res.Changes {
		changed = append(changed, ch.Field)
	}
	s.redirect(w, r, userPath(u.UserPrincipalName), flash{Notice: "console.flash.saved", List: changed, ListPrefix: "console.field.", Detail: res.Notes})
}

// unlock clears the account's lockout in the directory and sspr's own lock of reset after
// failed proofs.
func (s *Server) unlock(w http.ResponseWriter, r *http.Request, a *Admin) {
	u, ok := s.target(w, r, a)
	if !ok {
		return
	}
	d := map[string]string{}
	dirErr := error(nil)
	if u.DN != "" && s.dir != nil {
		if dirErr = s.dir.Unlock(r.Context(), u.DN); dirErr != nil {
			d["directory"] = "failed: " + reasonOf(dirErr)
			s.log.Warn("console: unlock in the directory", "user", u.UserPrincipalName, "err", dirErr)
		} else {
			d["directory"] = "unlocked"
		}
	}
	// The reset flow's locks of the user: failed proofs and security question attempts.
	if err := s.st.ClearThrottles(r.Context(), lockKey(u.ID), "u:"+u.ID+":questions"); err != nil {
		s.fail(w, r, a, err)
		return
	}
	d["sspr"] = "cleared"
	s.record(r.Context(), a, EventUserUnlocked, u.UserPrincipalName, u.ID, d)
	if dirErr != nil {
		s.redirect(w, r, userPath(u.UserPrincipalName), flash{Notice: "console.flash.ssprUnlocked",
			Error: "console.flash.directoryNotUnlocked", List: []string{reasonOf(dirErr)}, ListPrefix: "console.directoryReason."})
		return
	}
	s.redirect(w, r, userPath(u.UserPrincipalName), flash{Notice: "console.flash.unlocked"})
}

// reregister requires the user to register again: the registered authenticationPhone,
// authenticationEmail and security questions are removed (the directory's values stay), so the
// next visit to /register starts afresh: one transaction with the audit event that says what was
// removed, so that a failure leaves the registration whole.
func (s *Server) reregister(w http.ResponseWriter, r *http.Request, a *Admin) {
	upn := r.PathValue("upn")
	ctx := r.Context()
	now := s.cfg.Now().UTC()
	var u store.User
	err := s.st.Update(ctx, func(tx store.UsersTx) error {
		cur, err := tx.UserByUPN(ctx, upn)
		if err != nil {
			return err
		}
		d := map[string]string{"authenticationPhone": fmt.Sprint(cur.AuthenticationPhone != ""),
			"authenticationEmail": fmt.Sprint(cur.AuthenticationEmail != ""), "securityQuestions": fmt.Sprint(cur.SecurityQuestionsCount)}
		cur.AuthenticationPhone, cur.AuthenticationEmail = "", ""
		if err := tx.UpdateUser(ctx, &cur); err != nil {
			return err
		}
		if err := tx.ClearSecurityAnswers(ctx, cur.ID); err != nil {
			return err
		}
		u = cur
		return tx.AppendAudit(ctx, &store.AuditEvent{Time: now, Type: EventReregister, Actor: a.Actor(), UserID: cur.ID,
			UserPrincipalName: cur.UserPrincipalName, ClientIP: a.Client.IP, UserAgent: truncate(a.Client.UserAgent, 256), Details: d})
	})
	if errors.Is(err, store.ErrNotFound) {
		s.notFound(w, r, a, upn)
		return
	}
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	s.redirect(w, r, userPath(u.UserPrincipalName), flash{Notice: "console.flash.reregister"})
}
