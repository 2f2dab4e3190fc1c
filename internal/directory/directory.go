package directory

import (
	"context"
	"errors"
	"time"
)

// ErrWatermark: a delta read cannot continue from the given watermark (another domain
// controller, a restored database, a foreign format); the caller runs a full read instead.
var ErrWatermark = errors.New("watermark not usable")

// Record is one user as read from a directory or an export, with the product's field names
// already applied by the attribute mapping. Values are raw: the sync engine validates them
// (UTF-8, size) and normalizes the phones.
type Record struct {
	DN                string
	Anchor            []byte // objectGUID (16 bytes) on AD, entryUUID (16 bytes, parsed) on OpenLDAP
	UserPrincipalName string
	DisplayName       string
	MobilePhone       string
	OfficePhone       string
	AlternateEmails   []string
	AccountEnabled    bool
	Privileged        bool // AD adminCount=1
	// PasswordExpiresAt is when the password expires by the directory's policy; zero when it
	// never expires or the directory does not say. A time in the past: expired (AD's "must
	// change at next logon" reads as 1601-01-01).
	PasswordExpiresAt time.Time
	// PasswordNeverExpires: the policy says the password never expires (AD
	// DONT_EXPIRE_PASSWORD or no maximum age; OpenLDAP pwdMaxAge 0 or absent).
	PasswordNeverExpires bool
	// PreferredLanguage is the user's language as the directory says it (mapping
	// preferredLanguage); "" when it does not.
	PreferredLanguage string
}

// Rejection is an entry in scope that cannot become a user (no anchor, no UPN, ...).
type Rejection struct {
	DN     string
	Anchor []byte // may be nil; when set, the stored user with this anchor is kept, not deleted
	Reason string
}

// Handler receives what a Reader finds. Every method may return an error to stop the read.
type Handler interface {
	// Upsert: a user in scope, new or changed (a full read upserts every user).
	Upsert(ctx context.Context, r Record) error
	// Present: a user in scope that did not change since the watermark (delta reads only).
	Present(ctx context.Context, anchor []byte) error
	// Delete: a user that left the scope or was deleted (readers that learn deletions directly).
	Delete(ctx context.Context, anchor []byte) error
	// Reject: an entry in scope that cannot be used.
	Reject(ctx context.Context, r Rejection) error
}

// Result is what a Reader reports when a read completes.
type Result struct {
	// Watermark is where the next delta read starts.
	Watermark string
	// Full: the read was a full read.
	Full bool
	// Complete: every user in scope was reported through Upsert, Present or Reject, so stored
	// users that were not reported are gone and the sync engine deletes them.
	Complete bool
}

// Reader streams the users in scope from a directory or an export. It never holds all entries
// in memory.
type Reader interface {
	// Read reads every user when since is "", else what changed since that watermark. It returns
	// an error wrapping ErrWatermark when since cannot be used.
	Read(ctx context.Context, since string, h Handler) (Result, error)
	// Key identifies the directory and scope (URL, base DNs, filter, group, mapping), so that a
	// watermark is never reused after the configuration changed.
	Key() string
}
