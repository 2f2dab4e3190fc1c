package syncer

import (
	"context"
	"errors"
	"fmt"
	"github.com/sspr/sspr/internal/email"
	"github.com/sspr/sspr/internal/flow"
	"log/slog"
	"strings"
	"time"

	"github.com/sspr/sspr/internal/directory"
	"github.com/sspr/sspr/internal/phone"
	"github.com/sspr/sspr/internal/store"
)

// Store is what the engine needs of the store.
type Store interface {
	BeginSync(ctx context.Context) (store.SyncTx, error)
	SyncState(ctx context.Context, key string) (store.SyncState, error)
	StartRun(ctx context.Context, r *store.SyncRun) error
	FinishRun(ctx context.Context, r store.SyncRun) error
}

// Normalizer turns a raw phone value into the canonical form (phone.Normalizer).
type Normalizer interface {
	Normalize(raw string) (phone.Number, error)
}

// Config is the engine's policy.
type Config struct {
	// DeleteThreshold: a run that would delete more users than this changes nothing.
	DeleteThreshold int
	// OwnsAlternateEmails: alternateEmails is mapped from the directory. When false, the
	// administrator's alternateEmails for directory users are kept.
	OwnsAlternateEmails bool
	// DefaultRegion is part of every fingerprint: changing it re-normalizes every phone.
	DefaultRegion string
	// OnContactChange, when set, is told of every directory contact value (mobilePhone,
	// officePhone, a new alternateEmails address) that a committed run changed, so that the
	// previous value's owner can be told (the reset flow does not trust such a value at once:
	// reset.newContactCooldown).
	OnContactChange func(ctx context.Context, c ContactChange)
	// Metrics records every run (nil: nothing is recorded).
	Metrics *Metrics
}

// ContactChange is a directory contact value that changed for an existing user.
type ContactChange struct {
	User  store.User // as stored after the change
	Field string     // store.FieldMobilePhone, FieldOfficePhone or FieldAlternateEmails
	// Old and New are the values, masked (never in full in an audit event or a mail).
	Old, New string
	// Notify are the addresses the user was known by before the change (registered
	// authenticationEmail and the old alternateEmails), who are told of it.
	Notify []string
	At     time.Time
}

// AuditContactChanged is the audit event of a directory contact value that changed; the
// reset flow reads it to apply reset.newContactCooldown.
const AuditContactChanged = flow.ContactChangedEvent

// Engine runs full and delta syncs from one directory Reader into the store.
type Engine struct {
	store  Store
	reader directory.Reader
	norm   Normalizer
	cfg    Config
	log    *slog.Logger
	now    func() time.Time
}

// New builds an engine. log may be nil.
func New(st Store, r directory.Reader, n Normalizer, cfg Config, log *slog.Logger) *Engine {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Engine{store: st, reader: r, norm: newPhoneCache(n), cfg: cfg, log: log, now: time.Now}
}

// Options modify one run.
type Options struct {
	// DryRun computes and reports every change, then rolls back.
	DryRun bool
	// Full ignores the stored watermark and reads every user.
	Full bool
	// AllowDeletes overrides the accidental-delete guard for this run.
	AllowDeletes bool
	// OnChange, when set, receives every add, update and delete (the dry run's diff).
	OnChange func(Change)
	// OnProgress, when set, is called with the number of entries handled so far.
	OnProgress func(handled int)
}

// ChangeKind says what a run does to a user.
type ChangeKind int

const (
	Add ChangeKind = iota + 1
	Update
	Delete
)

func (k ChangeKind) String() string {
	switch k {
	case Add:
		return "add"
	case Update:
		return "update"
	case Delete:
		return "delete"
	}
	return "unknown"
}

// FieldChange is one field's old and new value in an update.
type FieldChange struct {
	Field    string
	Old, New string
}

// Change is one user added, updated or deleted.
type Change struct {
	Kind              ChangeKind
	UserPrincipalName string
	DN                string        // without control characters: it is printed
	Fields            []FieldChange // for updates
}

// shownDN is a DN to print: the store keeps it as the directory wrote it, terminal escapes included.
func shownDN(dn string) string { return shown(dn, len(dn)) }

// Rejection is an entry or a value that could not be used.
type Rejection struct {
	DN                string
	UserPrincipalName string
	Field             string // "" when the whole entry was rejected
	Value             string // the offending value, sanitized for display (no control characters)
	Reason            string
}

func (r Rejection) String() string {
	who := r.UserPrincipalName
	if who == "" {
		who = shownDN(r.DN)
	}
	if r.Field == "" {
		return fmt.Sprintf("%s: rejected: %s", who, r.Reason)
	}
	return fmt.Sprintf("%s: %s %q: %s", who, r.Field, r.Value, r.Reason)
}

// GuardError: the accidental-delete guard held and the run changed nothing.
type GuardError struct {
	Deletes   int
	Threshold int
	Sample    []string // some of the users that would have been deleted
}

func (e *GuardError) Error() string {
	return fmt.Sprintf("accidental-delete guard: this run would delete %d users, more than sync.deleteThreshold (%d); nothing was changed. "+
		"If the directory really lost these users, run sspr sync --allow-deletes", e.Deletes, e.Threshold)
}

// Report is the outcome of a run.
type Report struct {
	Run        store.SyncRun
	Rejections []Rejection // the first maxRejections
	// Run.Rejected counts the entries rejected whole (no user written); UnusableValues the
	// values left out of users who were written (a phone that cannot be read, an invalid email).
	UnusableValues int
	Watermark      string
	// ContactChanges are the contact values the run changed (told to OnContactChange after
	// the commit).
	ContactChanges []ContactChange
}

const (
	maxRejections = 1000 // kept in the report
	maxRunErrors  = 20   // kept in the run record
	maxRetries    = 10000
)

// Run performs one sync run. It records the run in the store whatever happens. The run is
// all-or-nothing: on any error, a refused guard or a dry run, the store is left as it was.
func (e *Engine) Run(ctx context.Context, opts Options) (Report, error) {
	rep := Report{Run: store.SyncRun{Mode: "delta", StartedAt: e.now().UTC()}}
	since := ""
	if !opts.Full {
		st, err := e.store.SyncState(ctx, e.reader.Key())
		switch {
		case err == nil:
			since = st.Watermark
		case errors.Is(err, store.ErrNotFound):
		default:
			return rep, fmt.Errorf("sync: read state: %w", err)
		}
	}
	if since == "" {
		rep.Run.Mode = "full"
	}
	if err := e.store.StartRun(ctx, &rep.Run); err != nil {
		return rep, fmt.Errorf("sync: record run: %w", err)
	}
	err := e.run(ctx, since, opts, &rep)
	if err == nil && !opts.DryRun {
		// run recorded the outcome in its transaction, committed with the changes.
		e.logRun(rep.Run)
		if e.cfg.OnContactChange != nil {
			for _, c := range rep.ContactChanges {
				e.cfg.OnContactChange(ctx, c)
			}
		}
		return rep, nil
	}
	e.settle(&rep.Run, err, opts.DryRun)
	// Record the outcome even when ctx was cancelled (Ctrl-C): the run must not stay "running".
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if ferr := e.store.FinishRun(fctx, rep.Run); ferr != nil && err == nil {
		err = fmt.Errorf("sync: record run: %w", ferr)
	}
	e.logRun(rep.Run)
	return rep, err
}

// settle sets a run's outcome from the error that ended it. A run that changed nothing (an error,
// the guard) records zero changes: its counts were what it would have done, and were not written.
// Rejected stays: the entries were read and could not be used, whatever the outcome.
func (e *Engine) settle(r *store.SyncRun, err error, dryRun bool) {
	fin := e.now().UTC()
	r.FinishedAt = &fin
	var guard *GuardError
	switch {
	case err == nil && dryRun:
		r.Status = store.RunDryRun
	case err == nil:
		r.Status = store.RunSucceeded
	case errors.As(err, &guard):
		r.Status = store.RunRefused
		r.Errors = append([]string{err.Error()}, r.Errors...)
	default:
		r.Status = store.RunFailed
		r.Errors = append([]string{err.Error()}, r.Errors...)
	}
	if err != nil {
		r.Added, r.Updated, r.Deleted, r.Unchanged = 0, 0, 0, 0
	}
	if len(r.Errors) > maxRunErrors {
		r.Errors = append(r.Errors[:maxRunErrors-1], fmt.Sprintf("... and %d more", len(r.Errors)-maxRunErrors+1))
	}
}

func (e *Engine) logRun(r store.SyncRun) {
	e.cfg.Metrics.observe(r)
	var took time.Duration
	if r.FinishedAt != nil {
		took = r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond)
	}
	e.log.Info("sync run", "id", r.ID, "mode", r.Mode, "status", r.Status,
		"added", r.Added, "updated", r.Updated, "deleted", r.Deleted,
		"unchanged", r.Unchanged, "rejected", r.Rejected, "duration", took)
}

func (e *Engine) run(ctx context.Context, since string, opts Options, rep *Report) error {
	tx, err := e.store.BeginSync(ctx)
	if err != nil {
		return fmt.Errorf("sync: begin: %w", err)
	}
	defer tx.Rollback()

	// The stored fingerprints load while the reader connects and receives its first pages; the
	// handler waits for them at the first entry. The loader has ended before tx is rolled back.
	pending := startIndex(ctx, tx)
	defer pending.loaded() // its error is returned below
	h := &handler{e: e, tx: tx, pending: pending, opts: opts, rep: rep}
	h.pipe = newPipeline(e.build, h.apply)
	defer h.pipe.stop()
	res, err := e.reader.Read(ctx, since, h)
	if errors.Is(err, directory.ErrWatermark) && since != "" && h.handled == 0 {
		e.log.Info("sync: stored watermark not usable, running a full sync", "reason", err)
		rep.Run.Mode = "full"
		res, err = e.reader.Read(ctx, "", h)
	}
	if lerr := pending.loaded(); lerr != nil {
		return lerr // the reader's error, if any, is the handler's report of this one
	}
	if err != nil {
		return fmt.Errorf("sync: read directory: %w", err)
	}
	idx, err := h.index(ctx)
	if err != nil {
		return err
	}
	if err := h.pipe.drain(ctx); err != nil {
		return err
	}
	if res.Full {
		rep.Run.Mode = "full"
	}
	if err := h.retryConflicts(ctx); err != nil {
		return err
	}

	// Deletions: users the directory reported gone, and, after a complete read, every stored
	// directory user it did not report.
	deletes := h.deletes
	if res.Complete {
		deletes = append(deletes, idx.unseen()...)
	}
	if len(deletes) > e.cfg.DeleteThreshold && !opts.AllowDeletes {
		g := &GuardError{Deletes: len(deletes), Threshold: e.cfg.DeleteThreshold}
		for _, a := range deletes[:min(len(deletes), 10)] {
			if u, err := tx.UserByAnchor(ctx, a); err == nil {
				g.Sample = append(g.Sample, u.UserPrincipalName)
			}
		}
		return g
	}
	for _, a := range deletes {
		u, err := tx.UserByAnchor(ctx, a)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("sync: delete: %w", err)
		}
		if err := tx.DeleteUserByAnchor(ctx, a); err != nil {
			return fmt.Errorf("sync: delete %s: %w", u.UserPrincipalName, err)
		}
		rep.Run.Deleted++
		if opts.OnChange != nil {
			opts.OnChange(Change{Kind: Delete, UserPrincipalName: u.UserPrincipalName, DN: shownDN(u.DN)})
		}
	}
	rep.Run.Unchanged = h.unchanged
	rep.Watermark = res.Watermark
	if err := tx.SetSyncState(ctx, store.SyncState{Key: e.reader.Key(), Watermark: res.Watermark, UpdatedAt: e.now().UTC()}); err != nil {
		return fmt.Errorf("sync: save state: %w", err)
	}
	if opts.DryRun {
		return tx.Rollback()
	}
	// The run's record goes in the same transaction as its changes: a process killed after the
	// commit leaves a run that says what it committed, not one "interrupted" with zero counts.
	final := rep.Run
	e.settle(&final, nil, false)
	if err := tx.RecordRun(ctx, final); err != nil {
		return fmt.Errorf("sync: record run: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sync: commit: %w", err)
	}
	rep.Run = final
	return nil
}

// handler receives the directory's records inside the run's transaction.
type handler struct {
	e         *Engine
	tx        store.SyncTx
	pending   *pendingIndex
	idx       *index // nil until the first entry: see index
	opts      Options
	rep       *Report
	handled   int
	unchanged int
	deletes   [][]byte
	retries   []*job
	pipe      *pipeline
}

var _ directory.Handler = (*handler)(nil)

func (h *handler) progress() {
	h.handled++
	if h.opts.OnProgress != nil {
		h.opts.OnProgress(h.handled)
	}
}

// index returns the stored users' index, waiting for it to be loaded (only the first call waits).
func (h *handler) index(ctx context.Context) (*index, error) {
	if h.idx == nil {
		idx, err := h.pending.wait(ctx)
		if err != nil {
			return nil, err
		}
		h.idx = idx
	}
	return h.idx, nil
}

func (h *handler) Upsert(ctx context.Context, r directory.Record) error {
	h.progress()
	idx, err := h.index(ctx)
	if err != nil {
		return err
	}
	fp := fingerprint(r, h.e.cfg)
	i, found := idx.find(r.Anchor)
	if found {
		idx.markSeen(i)
		if idx.at(i).fp == fp {
			h.unchanged++
			return nil
		}
	}
	// Validation and phone normalization (the costly part) run on the workers; the results are
	// written here, in the directory's order.
	return h.pipe.submit(ctx, &job{rec: r, fp: fp, found: found})
}

// apply writes one built record. It runs on the reader's goroutine, in the directory's order.
func (h *handler) apply(ctx context.Context, j *job, mayRetry bool) error {
	u, rejections := j.user, j.rejections
	if u == nil {
		h.reject(rejections...)
		return nil
	}
	u.Fingerprint = j.fp
	var old store.User
	if j.found {
		var err error
		old, err = h.tx.UserByAnchor(ctx, j.rec.Anchor)
		if err != nil {
			return fmt.Errorf("sync: read user %s: %w", j.rec.DN, err)
		}
		h.e.merge(u, old)
	}
	err := h.tx.PutUser(ctx, u)
	if errors.Is(err, store.ErrConflict) {
		if mayRetry && len(h.retries) < maxRetries {
			// Another stored user still holds this userPrincipalName; it may give it up later in
			// this run (a rename). Try once more at the end.
			h.retries = append(h.retries, j)
			return nil
		}
		h.reject(Rejection{DN: j.rec.DN, UserPrincipalName: u.UserPrincipalName,
			Reason: "userPrincipalName is already used by another user (duplicate in the directory?)"})
		return nil
	}
	if err != nil {
		return fmt.Errorf("sync: write user %s: %w", j.rec.DN, err)
	}
	h.reject(rejections...)
	if j.found {
		if err := h.contactChanges(ctx, old, *u); err != nil {
			return err
		}
		h.rep.Run.Updated++
		if h.opts.OnChange != nil {
			h.opts.OnChange(Change{Kind: Update, UserPrincipalName: u.UserPrincipalName, DN: shownDN(u.DN), Fields: diff(old, *u)})
		}
	} else {
		h.rep.Run.Added++
		if h.opts.OnChange != nil {
			h.opts.OnChange(Change{Kind: Add, UserPrincipalName: u.UserPrincipalName, DN: shownDN(u.DN)})
		}
	}
	return nil
}

func (h *handler) retryConflicts(ctx context.Context) error {
	retries := h.retries
	h.retries = nil
	for _, j := range retries {
		// The user was built for the first attempt; build it again, merge needs a fresh copy.
		j.user, j.rejections = h.e.build(j.rec)
		if err := h.apply(ctx, j, false); err != nil {
			return err
		}
	}
	return nil
}

func (h *handler) Present(ctx context.Context, anchor []byte) error {
	h.progress()
	idx, err := h.index(ctx)
	if err != nil {
		return err
	}
	if i, ok := idx.find(anchor); ok {
		if !idx.seen(i) {
			h.unchanged++
		}
		idx.markSeen(i)
	}
	return nil
}

func (h *handler) Delete(ctx context.Context, anchor []byte) error {
	idx, err := h.index(ctx)
	if err != nil {
		return err
	}
	if i, ok := idx.find(anchor); ok && !idx.seen(i) {
		idx.markSeen(i) // so that a complete read does not count it twice
		h.deletes = append(h.deletes, append([]byte(nil), anchor...))
	}
	return nil
}

func (h *handler) Reject(ctx context.Context, r directory.Rejection) error {
	h.progress()
	idx, err := h.index(ctx)
	if err != nil {
		return err
	}
	if r.Anchor != nil {
		// Keep the stored user: a bad entry is not a deleted one.
		if i, ok := idx.find(r.Anchor); ok {
			idx.markSeen(i)
		}
	}
	h.reject(Rejection{DN: r.DN, Reason: r.Reason})
	return nil
}

func (h *handler) reject(rs ...Rejection) {
	for _, r := range rs {
		if r.Field == "" {
			h.rep.Run.Rejected++
		} else {
			h.rep.UnusableValues++
		}
		if len(h.rep.Rejections) < maxRejections {
			h.rep.Rejections = append(h.rep.Rejections, r)
		}
		if len(h.rep.Run.Errors) <= maxRunErrors {
			h.rep.Run.Errors = append(h.rep.Run.Errors, r.String())
		}
	}
}

// contactChanges records, in the sync's transaction, every directory contact value of an
// existing user that the update changes to a new, usable value: an audit event each, which the
// reset flow reads (a value that just changed is not trusted at once), and a ContactChange for
// the notice to the user.
func (h *handler) contactChanges(ctx context.Context, old, u store.User) error {
	type change struct{ field, old, new string }
	var cs []change
	if u.MobilePhone.Number != "" && u.MobilePhone.Number != old.MobilePhone.Number && !u.MobilePhoneOverridden {
		cs = append(cs, change{store.FieldMobilePhone, maskPhone(old.MobilePhone.Number), maskPhone(u.MobilePhone.Number)})
	}
	if u.OfficePhone.Number != "" && u.OfficePhone.Number != old.OfficePhone.Number {
		cs = append(cs, change{store.FieldOfficePhone, maskPhone(old.OfficePhone.Number), maskPhone(u.OfficePhone.Number)})
	}
	known := map[string]bool{}
	for _, a := range old.AlternateEmails {
		known[strings.ToLower(a)] = true
	}
	for _, a := range u.AlternateEmails {
		if !known[strings.ToLower(a)] {
			cs = append(cs, change{store.FieldAlternateEmails, "", email.Mask(a)})
		}
	}
	if len(cs) == 0 {
		return nil
	}
	at := h.e.now().UTC()
	notify := []string{}
	seen := map[string]bool{}
	for _, a := range append([]string{old.AuthenticationEmail}, old.AlternateEmails...) {
		if a != "" && !seen[strings.ToLower(a)] {
			seen[strings.ToLower(a)] = true
			notify = append(notify, a)
		}
	}
	for _, c := range cs {
		details := map[string]string{"field": c.field, "new": c.new}
		if c.old != "" {
			details["old"] = c.old
		}
		if err := h.tx.AppendAudit(ctx, &store.AuditEvent{Time: at, Type: AuditContactChanged, Actor: "sync", UserID: u.ID,
			UserPrincipalName: u.UserPrincipalName, Details: details}); err != nil {
			return fmt.Errorf("sync: record a contact change of %s: %w", u.UserPrincipalName, err)
		}
		h.rep.ContactChanges = append(h.rep.ContactChanges, ContactChange{User: u, Field: c.field, Old: c.old, New: c.new, Notify: notify, At: at})
	}
	return nil
}

func maskPhone(number string) string {
	if number == "" {
		return ""
	}
	return phone.Mask(number)
}
