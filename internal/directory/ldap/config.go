package ldap

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/sspr/sspr/internal/config/problem"
	"github.com/sspr/sspr/internal/directory"
	"github.com/sspr/sspr/internal/ldapconn"
)

// Config is what the connector needs to read a directory. The caller (the config package)
// has validated the YAML; New validates again what it relies on.
type Config struct {
	Kind directory.Kind
	// Endpoint is how to reach the directory and as whom. Its OperationTimeout bounds
	// connecting and every wait for the server (not the whole read, which can take minutes).
	Endpoint ldapconn.Endpoint
	// BaseDNs are searched (subtree) for users; a base DN under another one is skipped.
	BaseDNs []string
	// Filter selects users; default (objectClass=user) on AD, (objectClass=inetOrgPerson) on
	// OpenLDAP.
	Filter string
	// Group, when set, keeps only the (direct or nested) members of this group.
	Group string
	// Mapping names the attributes read into the product's fields (defaulted again here).
	Mapping directory.Mapping
	// PageSize of the paged searches (RFC 2696); default 1000.
	PageSize int
	// PasswordPolicyDN (OpenLDAP) is the default ppolicy entry: its pwdMaxAge gives the
	// password expiry of users without a pwdPolicySubentry. "": their expiry is unknown.
	PasswordPolicyDN string
}

// Sentinel errors, for errors.Is; the messages say what to fix.
var (
	ErrConfig      = errors.New("invalid directory configuration")
	ErrInsecure    = ldapconn.ErrInsecure
	ErrUnreachable = errors.New("directory unreachable")
	ErrTLS         = errors.New("directory TLS failed")
	ErrBind        = errors.New("directory bind failed")
	ErrNotFound    = errors.New("directory object not found")
	ErrTimeout     = errors.New("directory timed out")
)

const (
	defaultPageSize = 1000
	defaultFilterAD = "(objectClass=user)"
	defaultFilterOL = "(objectClass=inetOrgPerson)"
)

// Reader reads users from AD, Samba AD or OpenLDAP. It implements directory.Reader.
type Reader struct {
	cfg     Config
	t       ldapconn.Target
	bases   []string // deduplicated: none under another
	schema  directory.Schema
	attrs   []string // full records
	key     string
	groupDN *goldap.DN
}

var _ directory.Reader = (*Reader)(nil)

// New validates cfg and returns a Reader. It does not connect.
func New(cfg Config) (*Reader, error) {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	insecure := false

	switch cfg.Kind {
	case directory.ActiveDirectory, directory.OpenLDAP:
	default:
		bad("kind %q: want %q or %q", cfg.Kind, directory.ActiveDirectory, directory.OpenLDAP)
	}
	cfg.Mapping = cfg.Mapping.WithDefaults(cfg.Kind)
	if cfg.Filter == "" {
		cfg.Filter = defaultFilterOL
		if cfg.Kind == directory.ActiveDirectory {
			cfg.Filter = defaultFilterAD
		}
	}
	if _, err := goldap.CompileFilter(cfg.Filter); err != nil {
		bad("filter %q: %v", cfg.Filter, err)
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = defaultPageSize
	}
	r := &Reader{cfg: cfg}
	t, err := cfg.Endpoint.Check()
	if err != nil {
		var l *problem.List
		if !errors.As(err, &l) {
			return nil, err
		}
		for _, p := range l.Problems {
			bad("%s", p)
		}
		insecure = errors.Is(err, ErrInsecure)
	}
	r.t = t
	cfg.Endpoint = t.Endpoint

	if len(cfg.BaseDNs) == 0 {
		bad("baseDNs: at least one base DN is required")
	}
	var parsed []*goldap.DN
	for _, b := range cfg.BaseDNs {
		dn, err := goldap.ParseDN(b)
		if err != nil {
			bad("baseDN %q: %v", b, err)
			continue
		}
		if len(dn.RDNs) == 0 {
			bad("baseDN %q: the root DSE is not a base DN", b)
			continue
		}
		parsed = append(parsed, dn)
	}
	if len(parsed) == len(cfg.BaseDNs) {
		r.bases = dedupeBases(cfg.BaseDNs, parsed)
	}
	if cfg.Group != "" {
		dn, err := goldap.ParseDN(cfg.Group)
		if err != nil || len(dn.RDNs) == 0 {
			bad("group %q: not a DN (%v)", cfg.Group, err)
		}
		r.groupDN = dn
	}

	if cfg.PasswordPolicyDN != "" {
		if dn, err := goldap.ParseDN(cfg.PasswordPolicyDN); err != nil || len(dn.RDNs) == 0 {
			bad("passwordPolicyDN %q: not a DN (%v)", cfg.PasswordPolicyDN, err)
		}
	}

	if len(problems) > 0 {
		kinds := []error{ErrConfig}
		if insecure {
			kinds = append(kinds, ErrInsecure)
		}
		return nil, &readError{msg: ErrConfig.Error() + ": " + strings.Join(problems, "; "), kinds: kinds}
	}

	r.schema = directory.Schema{Kind: cfg.Kind, Mapping: cfg.Mapping}
	r.attrs = r.schema.Attributes()
	if cfg.Kind == directory.OpenLDAP {
		r.attrs = append(r.attrs, attrModifyTimestamp, attrPwdChangedTime, attrPwdPolicySubentry)
	}
	r.key = key(cfg, r.bases)
	r.cfg = cfg
	return r, nil
}

// dedupeBases drops a base DN equal to or under another one (case-insensitive), keeping the
// first of equal ones, so that no entry is read twice.
func dedupeBases(raw []string, dns []*goldap.DN) []string {
	var out []string
	for i, dn := range dns {
		keep := true
		for j, other := range dns {
			if i == j {
				continue
			}
			if other.AncestorOfFold(dn) || (other.EqualFold(dn) && j < i) {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, raw[i])
		}
	}
	return out
}

// key hashes what decides which users are read and how: a watermark of one key is never used
// with another.
func key(cfg Config, bases []string) string {
	norm := make([]string, 0, len(bases))
	for _, b := range bases {
		norm = append(norm, normDN(b))
	}
	b, _ := json.Marshal(struct {
		Kind    directory.Kind
		URL     string
		Bases   []string
		Filter  string
		Group   string
		Mapping directory.Mapping
	}{cfg.Kind, strings.ToLower(cfg.Endpoint.URL), norm, cfg.Filter, normDN(cfg.Group), cfg.Mapping})
	sum := sha256.Sum256(b)
	return "ldap:" + hex.EncodeToString(sum[:16])
}

// Key identifies the directory and scope; see directory.Reader.
func (r *Reader) Key() string { return r.key }

// normDN is a comparable form of a DN: types and values lower-cased, escaping canonical.
// A DN that does not parse is lower-cased as is.
func normDN(s string) string {
	if s == "" {
		return ""
	}
	dn, err := goldap.ParseDN(s)
	if err != nil {
		return strings.ToLower(s)
	}
	return strings.ToLower(dn.String())
}
