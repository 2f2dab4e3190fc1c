package store

import (
	"context"
	"net/netip"
	"strings"
	"time"
)

// UsersTx writes users outside a sync (administrators, the registration portal), inside one
// transaction opened by Updates.Update.
type UsersTx interface {
	UserByUPN(ctx context.Context, upn string) (User, error)
	UserByID(ctx context.Context, id string) (User, error)
	// CreateUser inserts u (u.ID == "": a new ID), Version 1. ErrConflict when the
	// userPrincipalName or anchor is taken.
	CreateUser(ctx context.Context, u *User) error
	// UpdateUser replaces the user with u.ID when its stored Version equals u.Version
	// (ErrVersionMismatch otherwise, ErrNotFound when gone), increments Version, sets UpdatedAt,
	// and writes both back to *u. ErrConflict when the new userPrincipalName is taken.
	UpdateUser(ctx context.Context, u *User) error
	// DeleteUser removes the user and everything that belongs to it (answers, sessions, codes).
	DeleteUser(ctx context.Context, id string) error
	// ClearSecurityAnswers removes the user's security answers and sets the questions' count to 0
	// and their registration date to none, in the transaction (with UpdateUser: a required
	// re-registration is one write). Version and UpdatedAt stay. ErrNotFound when there is no
	// such user.
	ClearSecurityAnswers(ctx context.Context, userID string) error
	// AppendAudit records an event in the same transaction.
	AppendAudit(ctx context.Context, e *AuditEvent) error
}

// Updates runs administrative writes.
type Updates interface {
	// Update runs fn in one write transaction: everything fn writes is kept only when fn
	// returns nil (then the error of the commit is returned), else it is all undone and fn's
	// error is returned.
	Update(ctx context.Context, fn func(UsersTx) error) error
}

// AuditEvent is one thing that happened, for auditors. Details never hold a secret (no code,
// password or answer) and phone numbers in it are masked.
type AuditEvent struct {
	ID                int64
	Time              time.Time
	Type              string // dotted, e.g. "reset.started", "reset.code.sent", "admin.user.updated"
	Actor             string // "user", "admin:<token name>", "cli:<os user>", "sync", "system"
	UserID            string // "" when no user (an unknown name typed at reset)
	UserPrincipalName string // as known or as typed
	ClientIP          string
	UserAgent         string
	Details           map[string]string // e.g. field, old, new (masked), method, reason

	// Seq and Hash are the event's place in the tamper-evident chain (internal/audit), set by the
	// store when it appends; Seq 0 and no Hash for events written before the chain began. An
	// append in a transaction (UsersTx, SyncTx) sets them, and ID, when the transaction commits.
	Seq  int64
	Hash []byte
}

// AuditFilter narrows ListAudit. Zero values mean any; the filters combine (AND).
type AuditFilter struct {
	// UserPrincipalName matches the event's userPrincipalName exactly, in any case.
	UserPrincipalName string
	// TypePrefix keeps the types that start with it ("reset." every reset event, "reset.done"
	// that type); not a pattern (% and _ are literal).
	TypePrefix string
	// Since (inclusive) and Until (exclusive) bound the event's Time.
	Since, Until time.Time
	// Actor matches the actor exactly, in any case ("sync", "admin:helpdesk"), or, when it ends
	// with ":", every actor it starts ("admin:" for every API token).
	Actor string
	// Outcome matches the event's details["outcome"] exactly, in any case ("done", "failedProof").
	Outcome string
	// ClientIP, when valid, keeps the events from that address (a /32 or /128 prefix) or from
	// that network (10.0.0.0/8). IPv4-mapped IPv6 addresses count as IPv4.
	ClientIP netip.Prefix
	// After continues a listing after this event (keyset paging): set it to the Time and ID of
	// the last event of the previous page. Nil: from the newest.
	After *AuditCursor
	// Limit is the most events to return; 0: no limit.
	Limit int
}

// AuditCursor is a position in ListAudit's order (newest first: by Time, then by ID).
type AuditCursor struct {
	Time time.Time
	ID   int64
}

// Keep reports whether e passes f's Actor, Outcome and ClientIP filters (backends that do not
// filter these in SQL call it on each row).
func (f AuditFilter) Keep(e AuditEvent) bool {
	if f.Actor != "" {
		if prefix, ok := strings.CutSuffix(f.Actor, ":"); ok {
			if len(e.Actor) <= len(prefix) || !strings.EqualFold(e.Actor[:len(prefix)+1], prefix+":") {
				return false
			}
		} else if !strings.EqualFold(e.Actor, f.Actor) {
			return false
		}
	}
	if f.Outcome != "" && !strings.EqualFold(e.Details["outcome"], f.Outcome) {
		return false
	}
	if f.ClientIP.IsValid() {
		a, err := netip.ParseAddr(e.ClientIP)
		if err != nil || !f.ClientIP.Contains(a.Unmap()) {
			return false
		}
	}
	return true
}

// AuditChain is the state of the audit log's chain (see internal/audit).
type AuditChain struct {
	// HeadSeq and HeadHash are the last event appended (0 and the genesis hash: none yet).
	HeadSeq  int64
	HeadHash []byte
	// The anchor is where the chain starts: Seq 0 and the genesis hash (32 zero bytes) when the
	// chain began, or the last event pruned; AnchorMAC signs a pruned anchor with the chain's
	// key, over its seq, hash and AnchorBefore (the retention cut-off of that prune).
	AnchorSeq    int64
	AnchorHash   []byte
	AnchorBefore time.Time
	AnchorMAC    []byte
	// Legacy counts the events written before the chain began (no Seq, not checked).
	Legacy int64
	// Unchained counts the events without Seq written after the chain began (there should be
	// none); FirstUnchainedID is the oldest of them.
	Unchained        int64
	FirstUnchainedID int64
}

// Audit is the audit log. Every append extends a keyed hash chain (see internal/audit) with
// the key the backend was given (SetAuditKey).
type Audit interface {
	// AppendAudit records e (a zero Time means now) and sets e.ID, e.Time, e.Seq and e.Hash.
	AppendAudit(ctx context.Context, e *AuditEvent) error
	// ListAudit calls fn for matching events, newest first (by Time, then ID), one row at a
	// time: memory stays flat however many match. It stops at fn's first error.
	ListAudit(ctx context.Context, f AuditFilter, fn func(AuditEvent) error) error
	// AuditChain reads the chain's head and anchor and counts the events outside it.
	AuditChain(ctx context.Context) (AuditChain, error)
	// WalkAuditChain calls fn for the chained events with Seq > after, in Seq order.
	WalkAuditChain(ctx context.Context, after int64, fn func(AuditEvent) error) error
	// PruneAudit deletes the events older than before (retention): first the chain's oldest
	// events up to the first one at or after before, moving the anchor to the last one deleted
	// (signed), so that the rest still verifies; then the events from before the chain that are
	// older than before. It works in batches and returns how many events it deleted.
	PruneAudit(ctx context.Context, before time.Time) (int64, error)
}

// Token is an administrator's API bearer token. Only a hash of the secret is stored.
type Token struct {
	ID         string
	Name       string
	Scopes     []string // users:read, users:write, sync, reports
	Hash       []byte   // SHA-256 of the secret
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// Tokens stores API tokens.
type Tokens interface {
	// CreateToken stores t (t.ID == "": a new ID). ErrConflict when an unrevoked token has t.Name.
	CreateToken(ctx context.Context, t *Token) error
	// TokenByHash finds an unrevoked token. ErrNotFound otherwise.
	TokenByHash(ctx context.Context, hash []byte) (Token, error)
	// TouchToken sets LastUsedAt.
	TouchToken(ctx context.Context, id string, at time.Time) error
	ListTokens(ctx context.Context) ([]Token, error)
	// RevokeToken revokes the unrevoked token named name. ErrNotFound when there is none.
	RevokeToken(ctx context.Context, name string, at time.Time) error
}

// Session is a short-lived server-side session of the web flows (reset, unlock, registration).
// ID is a hash of the secret the browser holds; State belongs to the flow (opaque here).
type Session struct {
	ID        string
	Kind      string // "reset", "unlock", "register"
	UserID    string // "" while unknown or for a name that matches nobody
	State     []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	Version   int64
}

// Sessions stores web flow sessions.
type Sessions interface {
	CreateSession(ctx context.Context, s *Session) error
	// Session returns an unexpired session (ErrNotFound when absent or expired at now).
	Session(ctx context.Context, id string, now time.Time) (Session, error)
	// UpdateSession writes State and ExpiresAt when Version matches (ErrVersionMismatch
	// otherwise), increments Version.
	UpdateSession(ctx context.Context, s *Session) error
	DeleteSession(ctx context.Context, id string) error
	// DeleteExpired removes sessions, codes and throttle events older than before.
	DeleteExpired(ctx context.Context, before time.Time) error
}

// Code is a one-time verification code. Only its MAC is stored (HMAC keyed by a server
// secret over the session, purpose and code); the caller computes and compares it.
type Code struct {
	ID          string
	SessionID   string
	UserID      string
	Purpose     string // e.g. "reset:sms", "register:email"
	Destination string // masked, for display and audit
	MAC         []byte
	Attempts    int
	MaxAttempts int
	CreatedAt   time.Time
	ExpiresAt   time.Time
	UsedAt      *time.Time
}

// Codes stores one-time codes.
type Codes interface {
	// CreateCode stores c and retires every earlier unused code of the same session and purpose.
	CreateCode(ctx context.Context, c *Code) error
	// ActiveCode returns the session's unused, unexpired code for purpose (ErrNotFound).
	ActiveCode(ctx context.Context, sessionID, purpose string, now time.Time) (Code, error)
	// CountAttempt atomically adds one to Attempts of an unused, unexpired code that has tries
	// left, and returns the code as updated; ErrExhausted when it is used, expired or out of tries.
	// Callers count the attempt before comparing the MAC.
	CountAttempt(ctx context.Context, id string, now time.Time) (Code, error)
	// ConsumeCode marks the code used, once: ErrExhausted when it was already used.
	ConsumeCode(ctx context.Context, id string, at time.Time) error
}

// Throttles counts events per key (user, client IP, method) in sliding windows and holds locks.
// Several instances on one PostgreSQL share them.
type Throttles interface {
	// Hit records an event for key at `at` and returns how many events key has at or after since,
	// this one included.
	Hit(ctx context.Context, key string, at, since time.Time) (int, error)
	// CountEvents returns how many events key has at or after since.
	CountEvents(ctx context.Context, key string, since time.Time) (int, error)
	// Lock locks key until `until` (a later lock extends it).
	Lock(ctx context.Context, key string, until time.Time) error
	// LockedUntil returns when key's lock ends, or the zero time when it is not locked at now.
	LockedUntil(ctx context.Context, key string, now time.Time) (time.Time, error)
	// Locked calls fn, in key order, for every key that starts with prefix and is locked at now,
	// with when its lock ends: the few locks of many keys in one read (the console's users list).
	Locked(ctx context.Context, prefix string, now time.Time, fn func(key string, until time.Time) error) error
	// ClearThrottles removes the events and locks of these keys.
	ClearThrottles(ctx context.Context, keys ...string) error
}

// MessageStatus is where a message is in the outbox.
type MessageStatus string

const (
	MessageQueued MessageStatus = "queued"
	MessageSent   MessageStatus = "sent"
	MessageFailed MessageStatus = "failed" // given up after the last retry
)

// Message is an outgoing email, SMS or voice call in the outbox. Body is sealed (encrypted) by
// the sender; the store never looks inside.
type Message struct {
	ID            int64
	Channel       string // "email", "sms", "voice"
	To            string
	Subject       string
	Body          []byte
	Language      string // BCP 47 tag the text is in ("ar", "de-CH"); "" when unknown
	Status        MessageStatus
	Attempts      int
	NextAttemptAt time.Time
	LeaseUntil    time.Time
	CreatedAt     time.Time
	SentAt        *time.Time
	LastError     string
}

// Attempt is one delivery attempt of a message.
type Attempt struct {
	MessageID int64
	At        time.Time
	Duration  time.Duration
	Error     string // "" when delivered
}

// Outbox is the queue of outgoing messages. Sending a message = Enqueue; a worker delivers.
type Outbox interface {
	// Enqueue stores m as queued, due now (m.NextAttemptAt zero) or at m.NextAttemptAt.
	Enqueue(ctx context.Context, m *Message) error
	// ClaimMessages leases up to limit queued messages due at now until leaseUntil: no other
	// claimer gets them before then. A worker that dies leaves them to be claimed again.
	ClaimMessages(ctx context.Context, now, leaseUntil time.Time, limit int) ([]Message, error)
	// RecordAttempt stores an attempt and the message's new state: status sent (SentAt = a.At),
	// queued again at next, or failed; Attempts + 1, LastError = a.Error, lease released. A
	// message that is sent or failed has its Body wiped.
	RecordAttempt(ctx context.Context, a Attempt, status MessageStatus, next time.Time) error
	Message(ctx context.Context, id int64) (Message, error)
	Attempts(ctx context.Context, id int64) ([]Attempt, error)
}

// SecurityAnswer is one registered security question with its answer's hash (Argon2id, PHC
// string format, salted per answer). Only the registration portal and the reset flow read them.
type SecurityAnswer struct {
	QuestionKey string // catalog key or "custom:<id>"
	Hash        string
}

// Answers stores security questions and answers. No administrative interface embeds it.
type Answers interface {
	// SetSecurityAnswers replaces the user's answers and sets the user's
	// SecurityQuestionsCount and SecurityQuestionsRegisteredAt.
	SetSecurityAnswers(ctx context.Context, userID string, answers []SecurityAnswer, at time.Time) error
	SecurityAnswers(ctx context.Context, userID string) ([]SecurityAnswer, error)
	// QuestionSets returns each set of questions users registered (its keys sorted, joined by
	// "\n") and how many users registered exactly that set (never who, never an answer): decoy
	// flows draw their questions from this distribution.
	QuestionSets(ctx context.Context) (map[string]int, error)
}

// QuestionSetCounter builds QuestionSets' result from rows ordered by user, then key.
type QuestionSetCounter struct {
	user   string
	keys   []string
	counts map[string]int
}

// NewQuestionSets returns an empty counter.
func NewQuestionSets() *QuestionSetCounter { return &QuestionSetCounter{counts: map[string]int{}} }

// Add counts one row.
func (c *QuestionSetCounter) Add(user, key string) {
	if user != c.user {
		c.flush()
		c.user = user
	}
	c.keys = append(c.keys, key)
}

func (c *QuestionSetCounter) flush() {
	if len(c.keys) > 0 {
		c.counts[strings.Join(c.keys, "\n")]++
	}
	c.keys = c.keys[:0]
}

// Counts returns the sets and how many users registered each.
func (c *QuestionSetCounter) Counts() map[string]int {
	c.flush()
	return c.counts
}
