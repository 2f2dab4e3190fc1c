package ldap

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/sspr/sspr/internal/directory"
)

// Config is what the connector needs to read a directory. The caller (the config package)
// has validated the YAML; New validates again what it relies on.
type Config struct {
	Kind directory.Kind
	// URL is ldap://host[:port] or ldaps://host[:port].
	URL string
	// StartTLS upgrades an ldap:// connection to TLS before binding.
	StartTLS bool
	// AllowInsecure permits plain ldap:// without StartTLS (passwords and data in clear).
	AllowInsecure bool
	// CAFile is a PEM bundle of the CAs to trust; empty means the system's.
	CAFile string
	// BindDN and BindPassword: the service account; an empty BindDN binds anonymously.
	BindDN       string
	BindPassword string
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
	// Timeout bounds connecting and every wait for the server (not the whole read); default 60s.
	Timeout time.Duration
}

// Sentinel errors, for errors.Is; the messages say what to fix.
var (
	ErrConfig      = errors.New("invalid directory configuration")
	ErrInsecure    = errors.New("plain LDAP refused")
	ErrUnreachable = errors.New("directory unreachable")
	ErrTLS         = errors.New("directory TLS failed")
	ErrBind        = errors.New("directory bind failed")
	ErrNotFound    = errors.New("directory object not found")
	ErrTimeout     = errors.New("directory timed out")
)

const (
	defaultPageSize = 1000
	defaultTimeout  = 60 * time.Second
	defaultFilterAD = "(objectClass=user)"
	defaultFilterOL = "(objectClass=inetOrgPerson)"
)

// Reader reads users from AD, Samba AD or OpenLDAP. It implements directory.Reader.
type Reader struct {
	cfg     Config
	u       *url.URL
	addr    string // host:port
	tls     *tls.Config
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
	if cfg.Timeout <= 0 {
		cfg.Timeout = defaultTimeout
	}
	r := &Reader{cfg: cfg}

	u, err := url.Parse(cfg.URL)
	switch {
	case err != nil:
		bad("url %q: %v", cfg.URL, err)
	case u.Hostname() == "":
		bad("url %q: want ldap://host[:port] or ldaps://host[:port]", cfg.URL)
	default:
		port := u.Port()
		switch strings.ToLower(u.Scheme) {
		case "ldaps":
			if port == "" {
				port = "636"
			}
			if cfg.StartTLS {
				bad("url %q: startTLS applies to ldap:// only (ldaps:// is already TLS)", cfg.URL)
			}
		case "ldap":
			if port == "" {
				port = "389"
			}
			if !cfg.StartTLS && !cfg.AllowInsecure {
				insecure = true
				bad("url %q is plain ldap:// without TLS (%v): use ldaps://, set startTLS, or set allowInsecure for a test directory", cfg.URL, ErrInsecure)
			}
		default:
			bad("url %q: scheme must be ldap:// or ldaps://", cfg.URL)
		}
		r.u = u
		r.addr = net.JoinHostPort(u.Hostname(), port)
	}

	if cfg.BindDN != "" && cfg.BindPassword == "" {
		bad("bindDN %q has no password (an empty password would bind anonymously)", cfg.BindDN)
	}
	if cfg.BindDN != "" {
		if _, err := goldap.ParseDN(cfg.BindDN); err != nil {
			bad("bindDN %q: %v", cfg.BindDN, err)
		}
	}
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

	host := ""
	if r.u != nil {
		host = r.u.Hostname()
	}
	if r.tls, err = directory.TLSConfig(host, cfg.CAFile); err != nil {
		bad("%v", err)
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
		r.attrs = append(r.attrs, attrModifyTimestamp)
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
	}{cfg.Kind, strings.ToLower(cfg.URL), norm, cfg.Filter, normDN(cfg.Group), cfg.Mapping})
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
