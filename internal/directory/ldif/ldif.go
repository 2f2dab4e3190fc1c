package ldif

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sspr/sspr/internal/directory"
	"github.com/sspr/sspr/internal/directory/export"
)

// Errors of a read. A *LineError wraps ErrSyntax or ErrUnsupported and names the line.
var (
	// ErrSyntax: the file is not valid LDIF (or was cut short).
	ErrSyntax = errors.New("malformed LDIF")
	// ErrUnsupported: valid LDIF that an export never holds: change records, ":<" URL values.
	ErrUnsupported = errors.New("unsupported LDIF")
	// ErrEmpty: the file holds no entry at all, which is taken as a failed export rather
	// than as a directory without users.
	ErrEmpty = errors.New("the export holds no entries")
	// ErrNoAnchor: entries are in scope but none has the anchor attribute (objectGUID,
	// entryUUID): the export left it out, and every user would be rejected without an
	// anchor, which lets the sync engine delete them all.
	ErrNoAnchor = errors.New("no entry in scope has the anchor attribute")
)

// LineError is a problem at one line of the file. Line counts physical lines from 1; for a
// folded line it is the line where it starts.
type LineError struct {
	Path string
	Line int
	Err  error // ErrSyntax or ErrUnsupported
	Msg  string
}

func (e *LineError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("line %d: %v: %s", e.Line, e.Err, e.Msg)
	}
	return fmt.Sprintf("%s line %d: %v: %s", e.Path, e.Line, e.Err, e.Msg)
}

func (e *LineError) Unwrap() error { return e.Err }

// Options select the entries that are users.
type Options struct {
	// ObjectClass: an entry is a user when one of its objectClass values equals it
	// (case-insensitive), e.g. "user" for Active Directory, "inetOrgPerson" for OpenLDAP.
	// Entries of other classes (OUs, groups, contacts) are skipped silently; users that
	// cannot be converted (no anchor, no userPrincipalName) are rejected, which keeps the
	// stored user.
	//
	// "" selects the entries that have the mapped userPrincipalName attribute. This also
	// skips OUs and groups, but a user who lost that attribute is then skipped rather than
	// rejected, and the sync engine deletes it: set ObjectClass in production.
	//
	// On Active Directory (any Kind but OpenLDAP) entries whose objectClass includes
	// "computer" are never users, although the computer class derives from user: an export
	// made with ldifde -r "(objectClass=user)" holds the computer accounts too.
	ObjectClass string
}

// Reader reads users from an LDIF file (ldifde, slapcat, ldapsearch -LLL). Every Read is a
// full read of the file.
type Reader struct {
	path   string
	schema directory.Schema
	opts   Options
	names  []string // attributes kept from each entry
}

var _ directory.Reader = (*Reader)(nil)

// New returns a Reader of the LDIF file at path. The file is opened by each Read.
func New(path string, schema directory.Schema, opts Options) *Reader {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return &Reader{path: path, schema: schema, opts: opts, names: export.Attributes(schema)}
}

// Key identifies the file, the mapping and the filter.
func (r *Reader) Key() string {
	return export.Key("ldif", r.path, r.schema, r.opts.ObjectClass)
}

// Read reads the whole file, one entry at a time, and reports every user in scope through
// Upsert or Reject. since is ignored: an export has no delta, so the result is always
// {Full: true, Complete: true} with no watermark. A malformed file returns an error naming
// the line, after the handler may have seen the entries before it; the caller must then
// discard the read.
func (r *Reader) Read(ctx context.Context, since string, h directory.Handler) (directory.Result, error) {
	if r.schema.Mapping.UserPrincipalName == "" {
		return directory.Result{}, errors.New("ldif: the mapping names no userPrincipalName attribute")
	}
	f, err := os.Open(r.path)
	if err != nil {
		return directory.Result{}, fmt.Errorf("ldif: %w", err)
	}
	defer f.Close()
	p := newParser(export.TextReader(f), r.names)
	values := r.valuesFunc(p)
	anchor := r.schema.AnchorAttribute()
	entries, users, anchored := 0, 0, 0
	for {
		if err := ctx.Err(); err != nil {
			return directory.Result{}, fmt.Errorf("ldif: reading %s: %w", r.path, err)
		}
		ok, err := p.entry()
		if err != nil {
			var le *LineError
			if errors.As(err, &le) {
				le.Path = r.path
				return directory.Result{}, fmt.Errorf("ldif: %w", le)
			}
			return directory.Result{}, fmt.Errorf("ldif: reading %s: %w", r.path, err)
		}
		if !ok {
			break
		}
		entries++
		if !export.IsUser(r.schema, r.opts.ObjectClass, values) {
			continue
		}
		users++
		if len(values(anchor)) > 0 {
			anchored++
		}
		rec, rej := r.schema.Record(string(p.e.dn), values)
		if rej != nil {
			rej.Reason = fmt.Sprintf("line %d: %s", p.e.line, rej.Reason)
			err = h.Reject(ctx, *rej)
		} else {
			err = h.Upsert(ctx, rec)
		}
		if err != nil {
			return directory.Result{}, fmt.Errorf("ldif: %s line %d: %w", r.path, p.e.line, err)
		}
	}
	if entries == 0 {
		return directory.Result{}, fmt.Errorf("ldif: %s: %w", r.path, ErrEmpty)
	}
	if users > 0 && anchored == 0 {
		return directory.Result{}, fmt.Errorf("ldif: %s: %w %s: export it too (ldifde -l, ldapsearch attribute list)", r.path, ErrNoAnchor, anchor)
	}
	return directory.Result{Full: true, Complete: true}, nil
}

// valuesFunc returns the directory.Values of the parser's current entry. On Active
// Directory an objectGUID written as text ("{b7e88c87-1327-41a9-a765-5e3905ab5ef2}", as
// Samba's ldbsearch prints it) is turned into its 16 bytes.
func (r *Reader) valuesFunc(p *parser) directory.Values {
	if r.schema.Kind == directory.OpenLDAP {
		return p.values
	}
	anchor := r.schema.AnchorAttribute()
	return func(attr string) [][]byte {
		v := p.values(attr)
		if len(v) == 1 && strings.EqualFold(attr, anchor) {
			if b, ok := directory.ParseGUIDText(v[0]); ok {
				return [][]byte{b}
			}
		}
		return v
	}
}
