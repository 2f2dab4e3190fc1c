package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors. Backends wrap them with %w; callers test with errors.Is.
var (
	// ErrNotFound: no such user, run or record.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a unique value (userPrincipalName, anchor) is taken by another user.
	ErrConflict = errors.New("conflict")
	// ErrVersionMismatch: the record changed since the caller read it (optimistic locking).
	ErrVersionMismatch = errors.New("version mismatch")
	// ErrExhausted: a one-time code has no tries left, or is used or expired.
	ErrExhausted = errors.New("code exhausted")
)

// Source says where a user comes from: the directory (synchronized) or sspr itself
// (created by an administrator; "cloud-only" in the reference document's words).
type Source string

const (
	SourceDirectory Source = "directory"
	SourceCloud     Source = "cloud"
)

// Field names of the product, identical in code, JSON, CLI and docs.
const (
	FieldUserPrincipalName   = "userPrincipalName"
	FieldDisplayName         = "displayName"
	FieldMobilePhone         = "mobilePhone"
	FieldOfficePhone         = "officePhone"
	FieldAlternateEmails     = "alternateEmails"
	FieldAuthenticationPhone = "authenticationPhone"
	FieldAuthenticationEmail = "authenticationEmail"
	FieldAccountEnabled      = "accountEnabled"
)

// Phone is a phone value as its source wrote it, with the result of normalizing it.
// Number is empty when Raw is empty or unusable; Problem then says why (Raw non-empty).
type Phone struct {
	Raw     string // the value as written in the directory or by an administrator
	Number  string // canonical "+CC NATIONALNUMBER", extension stripped; "" when unusable
	Type    string // phone.Type name ("mobile", "fixedLine", "fixedLineOrMobile", ...); "" when unusable
	Problem string // why Raw is not usable for reset; "" when usable or empty
}

// Usable reports whether the number can be dialled.
func (p Phone) Usable() bool { return p.Number != "" }

// User is one person who may reset a password.
type User struct {
	ID     string // sspr's own identifier (UUID), stable for the life of the user
	Source Source
	// Anchor is the directory's immutable identifier (objectGUID on AD, entryUUID on
	// OpenLDAP, as raw bytes); nil for cloud users. Renames and moves keep it.
	Anchor []byte
	DN     string // distinguished name in the directory; "" for cloud users

	UserPrincipalName string
	DisplayName       string
	MobilePhone       Phone
	OfficePhone       Phone
	AlternateEmails   []string
	AccountEnabled    bool
	// Privileged: member of an administrators' group or AD adminCount=1; reset policy is stricter.
	Privileged bool
	// PasswordExpiresAt is when the password expires by the directory's policy, as of the last
	// sync; nil when it never expires or the directory does not say. In the past: expired.
	PasswordExpiresAt *time.Time
	// PreferredLanguage is the language the directory says the user prefers (BCP 47, or an
	// Accept-Language list), as of the last sync; "" when it does not say. Scheduled messages
	// (reminders, notices) are composed in it.
	PreferredLanguage string

	// Private authentication data, set by the user at registration (verified).
	AuthenticationPhone string
	AuthenticationEmail string

	// DirectoryFields lists the fields whose value the directory owns (source of authority);
	// administrators may not set those the product reserves to the directory (officePhone).
	DirectoryFields []string
	// DirectoryMobilePhone is the raw mobile value last read from the directory. An administrator's
	// mobilePhone for a directory user stays until this value changes in the directory.
	DirectoryMobilePhone string
	// MobilePhoneOverridden: MobilePhone was set by an administrator, not the directory.
	MobilePhoneOverridden bool

	// Fingerprint is a hash of every value read from the directory; a sync rewrites the user only
	// when it changes.
	Fingerprint uint64

	// SecurityQuestions is what anyone but the user may know of their questions: how many and when.
	SecurityQuestionsCount        int
	SecurityQuestionsRegisteredAt *time.Time

	Version   int64 // incremented on every write; the API's ETag
	CreatedAt time.Time
	UpdatedAt time.Time
}

// UserFilter narrows ListUsers. Zero values mean "any".
type UserFilter struct {
	Source Source
	// Search matches, case-insensitively, a substring of userPrincipalName or displayName.
	Search string
	// AfterUPN continues a listing after this userPrincipalName (keyset pagination).
	AfterUPN string
	Limit    int // 0: no limit
}

// Users reads and writes users outside a sync.
type Users interface {
	// UserByUPN finds a user by userPrincipalName, case-insensitively.
	UserByUPN(ctx context.Context, upn string) (User, error)
	// ListUsers calls fn for each matching user in userPrincipalName order; it stops at fn's first error.
	ListUsers(ctx context.Context, f UserFilter, fn func(User) error) error
	// CountUsers counts like ListUsers, ignoring Limit.
	CountUsers(ctx context.Context, f UserFilter) (int, error)
}

// Fingerprint is what a sync needs to know of a stored directory user to decide whether it changed.
type Fingerprint struct {
	Anchor      []byte
	Fingerprint uint64
}

// SyncTx is one sync run's all-or-nothing unit: nothing it writes is visible to others or kept
// until Commit. Only one SyncTx exists at a time (BeginSync waits for the previous one).
//
// An error other than ErrConflict, ErrNotFound or ErrVersionMismatch leaves the SyncTx usable
// only for Rollback (PostgreSQL aborts the transaction; writes may be queued, so a later call or
// Commit can report an earlier write's failure). Do not call StartRun/FinishRun while a SyncTx is
// open: on SQLite the SyncTx holds the only writer.
type SyncTx interface {
	// Fingerprints calls fn for every directory user (Source == SourceDirectory). fn must not
	// call the SyncTx.
	Fingerprints(ctx context.Context, fn func(Fingerprint) error) error
	// UserByAnchor returns the directory user with this anchor.
	UserByAnchor(ctx context.Context, anchor []byte) (User, error)
	// PutUser inserts a directory user (u.ID == "": a new ID is assigned) or replaces the stored
	// user with the same ID (except SecurityQuestionsCount/RegisteredAt, which only
	// Answers.SetSecurityAnswers writes: updates keep the stored values and copy them into *u). ErrConflict when another user has the userPrincipalName or anchor;
	// ErrVersionMismatch when u.Version is not 0 and differs from the stored version.
	PutUser(ctx context.Context, u *User) error
	// DeleteUserByAnchor removes a directory user and everything that belongs to it.
	DeleteUserByAnchor(ctx context.Context, anchor []byte) error
	// SetSyncState stores the watermark that the next delta run starts from.
	SetSyncState(ctx context.Context, s SyncState) error
	// AppendAudit records an event in the transaction (a directory contact value that
	// changed): it is kept exactly when the sync's changes are.
	AppendAudit(ctx context.Context, e *AuditEvent) error
	// RecordRun stores r's status, counters, errors and FinishedAt (nil: now) on the run r.ID that
	// StartRun recorded, as FinishRun does, but inside the transaction: the record is kept exactly
	// when the run's changes are, so a process killed after Commit leaves a run that says what it
	// committed, and a rolled-back run leaves none of it. ErrNotFound when there is no run r.ID.
	RecordRun(ctx context.Context, r SyncRun) error
	Commit() error
	// Rollback undoes everything; after Commit it is a no-op, so it can be deferred.
	Rollback() error
}

// SyncState is where the next delta run of one directory scope starts.
type SyncState struct {
	// Key names the directory and scope the watermark belongs to; a changed scope or mapping
	// changes the key, and a key without state means a full run.
	Key string
	// Watermark is opaque to the store; the directory connector writes and reads it.
	Watermark string
	UpdatedAt time.Time
}

// RunStatus is the outcome of a sync run.
type RunStatus string

const (
	RunRunning     RunStatus = "running"     // started, not finished (or the process died)
	RunSucceeded   RunStatus = "succeeded"   // committed
	RunFailed      RunStatus = "failed"      // aborted by an error; nothing changed (zero counts)
	RunRefused     RunStatus = "refused"     // the accidental-delete guard held; nothing changed (zero counts)
	RunDryRun      RunStatus = "dry-run"     // computed the diff, changed nothing
	RunInterrupted RunStatus = "interrupted" // found "running" by a later run: the process died before its commit
)

// SyncRun records one run of the sync engine. Added, Updated, Deleted and Unchanged count what the
// run committed (a dry run: what it would have); a run that changed nothing has zeros there.
// Rejected counts the entries and values it could not use, whatever its outcome.
type SyncRun struct {
	ID         int64
	Mode       string // "full" or "delta"
	Status     RunStatus
	StartedAt  time.Time
	FinishedAt *time.Time
	Added      int
	Updated    int
	Deleted    int
	Unchanged  int
	Rejected   int      // entries or values that could not be used
	Errors     []string // run-level errors and a sample of rejections, for the admin
}

// Syncs is the sync engine's store.
type Syncs interface {
	// BeginSync starts the transaction of a sync run. It waits while another run holds it.
	BeginSync(ctx context.Context) (SyncTx, error)
	// SyncState returns the state stored under key; ErrNotFound when there is none.
	SyncState(ctx context.Context, key string) (SyncState, error)
	// StartRun records a run as running (outside any SyncTx, so failures are recorded too) and
	// marks runs still "running" from a dead process as interrupted. It sets r.ID.
	StartRun(ctx context.Context, r *SyncRun) error
	// FinishRun stores the final counters and status of a run.
	FinishRun(ctx context.Context, r SyncRun) error
	// ListRuns returns the most recent runs, newest first.
	ListRuns(ctx context.Context, limit int) ([]SyncRun, error)
}

// Health is what the readiness check (/readyz) asks of the store.
type Health interface {
	// Ping writes a row and reads it back: the store is reachable and accepts writes (a full
	// disk or a read-only database fails it).
	Ping(ctx context.Context, now time.Time) error
	// OutboxBacklog returns how many messages are queued for delivery and when the oldest of
	// them was queued (zero when none).
	OutboxBacklog(ctx context.Context) (queued int, oldest time.Time, err error)
}

// Reminders records the password expiry reminders sent (internal/reminder).
type Reminders interface {
	// ClaimReminder records the reminder of threshold days before expiresAt for the user as sent
	// at at, unless it is recorded already: true when this call recorded it, so that of several
	// instances claiming the same reminder exactly one gets true. An unknown user is an error.
	ClaimReminder(ctx context.Context, userID string, expiresAt time.Time, threshold int, at time.Time) (bool, error)
}

// Store is everything sspr keeps. Each backend (sqlite, postgres) implements it and passes the
// conformance suite in storetest.
type Store interface {
	Users
	Syncs
	Updates
	Audit
	Tokens
	Sessions
	Codes
	Throttles
	ThrottleGates
	CodeAttempts
	StepReads
	Steps
	Outbox
	Answers
	Reminders
	Insights
	Health
	// Close releases the database.
	Close() error
}
