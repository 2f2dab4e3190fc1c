package slapd

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
)

// ErrNotInstalled: slapd (or slapadd) is not installed on this machine.
var ErrNotInstalled = errors.New("slapd is not installed")

// Options describe the throwaway server.
type Options struct {
	// Dir holds the configuration, the database, the certificates and the log. Required.
	Dir string
	// Suffix is the database's naming context; default "dc=example,dc=com". Its entry is
	// created unless one of the LDIFs holds it (then that LDIF must come first).
	Suffix string
	// AdminPassword is the rootdn's password (cn=admin,<suffix>); a random one when empty.
	AdminPassword string
	// LDIF and LDIFFiles are bulk-loaded with `slapadd -q` before the server starts, in this
	// order: LDIF, then LDIFFiles. Entries need no operational attributes (slapadd adds
	// entryUUID, timestamps, ...). Parents must come before children.
	LDIF      [][]byte
	LDIFFiles []string
	// TLS generates a CA and a server certificate for 127.0.0.1/localhost, serves ldaps:// on
	// a second port and enables StartTLS on ldap://.
	TLS bool
	// NoSync turns off the database's fsync (dbnosync): faster bulk changes, no durability.
	NoSync bool
	// PPolicy loads the ppolicy overlay with a default policy entry
	// (cn=default,ou=policies,<suffix>): history 5, minimum length 8, lockout after 5 failures.
	PPolicy bool
	// SyncProv loads the syncprov overlay (RFC 4533 content synchronization: the rootDSE then
	// lists the Sync Request control 1.3.6.1.4.1.4203.1.9.1.1) with a checkpoint and a session
	// log, and indexes entryCSN.
	SyncProv bool
	// SyncProvSessionLog is the number of write operations syncprov remembers, so that a
	// refresh from a recent cookie reports deletions directly (syncIdSet) instead of listing
	// every entry present: 0 means 10000; negative means no session log (every refresh from a
	// cookie then runs a present phase).
	SyncProvSessionLog int
	// Access are extra slapd.conf access lines ("access to attrs=userPassword by dn.exact=... write
	// by * break"), written before the default ones (the first "access to" that matches an entry
	// and attribute wins). Use them to give a service account that is not the rootdn (the rootdn
	// bypasses ACLs and ppolicy) write or manage rights.
	Access []string
}

// Server is a running slapd.
type Server struct {
	URL           string // ldap://127.0.0.1:PORT (StartTLS when TLS)
	LDAPSURL      string // ldaps://127.0.0.1:PORT2 (TLS only)
	CAFile        string // PEM of the CA that signed the server certificate (TLS only)
	Suffix        string
	AdminDN       string
	AdminPassword string
	PolicyDN      string // default password policy entry (PPolicy only)
	PID           int
	Dir           string
	LogFile       string
	// Started is when slapd was launched; Ready is when it first answered.
	Started time.Time
	Ready   time.Time

	cmd  *exec.Cmd
	done chan struct{}
}

// Binary returns the path of slapd, or an error wrapping ErrNotInstalled.
func Binary() (string, error) {
	for _, p := range []string{"/usr/sbin/slapd", "/usr/local/sbin/slapd", "/usr/libexec/slapd"} {
		if isExecutable(p) {
			return p, nil
		}
	}
	if p, err := exec.LookPath("slapd"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%w: no slapd in /usr/sbin or PATH (Debian: apt-get install slapd ldap-utils)", ErrNotInstalled)
}

// Available reports whether Start can run here: nil, or an error wrapping ErrNotInstalled.
func Available() error {
	bin, err := Binary()
	if err != nil {
		return err
	}
	_, err = slapadd(bin)
	return err
}

func slapadd(slapdBin string) (string, error) {
	p := filepath.Join(filepath.Dir(slapdBin), "slapadd")
	if isExecutable(p) {
		return p, nil
	}
	if p, err := exec.LookPath("slapadd"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%w: no slapadd next to %s or in PATH", ErrNotInstalled, slapdBin)
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// Start configures, loads and starts slapd, and returns once it answers an anonymous rootDSE
// search. The server runs until Stop or Kill (or until this process dies: it gets SIGKILL).
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Dir == "" {
		return nil, errors.New("slapd: Options.Dir is required")
	}
	if opts.Suffix == "" {
		opts.Suffix = "dc=example,dc=com"
	}
	if _, err := goldap.ParseDN(opts.Suffix); err != nil {
		return nil, fmt.Errorf("slapd: suffix %q: %w", opts.Suffix, err)
	}
	if opts.AdminPassword == "" {
		b := make([]byte, 12)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		opts.AdminPassword = hex.EncodeToString(b)
	}
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	addBin, err := slapadd(bin)
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
		return nil, fmt.Errorf("slapd: %w", err)
	}
	s := &Server{
		Suffix:        opts.Suffix,
		AdminDN:       "cn=admin," + opts.Suffix,
		AdminPassword: opts.AdminPassword,
		Dir:           dir,
		LogFile:       filepath.Join(dir, "slapd.log"),
	}
	var tlsFiles *certFiles
	if opts.TLS {
		tlsFiles, err = writeCerts(dir)
		if err != nil {
			return nil, fmt.Errorf("slapd: certificates: %w", err)
		}
		s.CAFile = tlsFiles.CA
	}
	if opts.PPolicy {
		s.PolicyDN = "cn=default,ou=policies," + opts.Suffix
	}
	conf := filepath.Join(dir, "slapd.conf")
	if err := os.WriteFile(conf, []byte(config(dir, opts, s, tlsFiles)), 0o600); err != nil {
		return nil, fmt.Errorf("slapd: %w", err)
	}
	if err := load(ctx, addBin, conf, dir, opts, s); err != nil {
		return nil, err
	}

	// A free port found by listening on :0 may be taken again before slapd binds it: retry.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		if err := s.launch(ctx, bin, conf, opts.TLS); err != nil {
			lastErr = err
			if ctx.Err() != nil || !errors.Is(err, errBind) {
				break
			}
			continue
		}
		return s, nil
	}
	return nil, lastErr
}

var errBind = errors.New("could not bind its port")

// defaultSessionLog is syncprov's session log size when Options.SyncProvSessionLog is 0.
const defaultSessionLog = 10000

func (s *Server) launch(ctx context.Context, bin, conf string, withTLS bool) error {
	ports, err := freePorts(2)
	if err != nil {
		return fmt.Errorf("slapd: free port: %w", err)
	}
	s.URL = "ldap://127.0.0.1:" + strconv.Itoa(ports[0])
	urls := s.URL + "/"
	s.LDAPSURL = ""
	if withTLS {
		s.LDAPSURL = "ldaps://127.0.0.1:" + strconv.Itoa(ports[1])
		urls += " " + s.LDAPSURL + "/"
	}
	logf, err := os.OpenFile(s.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("slapd: %w", err)
	}
	defer logf.Close()
	// -d none: stay in the foreground (the PID is slapd's own) and log only what matters.
	cmd := exec.Command(bin, "-d", "none", "-f", conf, "-h", urls)
	cmd.Dir = s.Dir
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = sysProcAttr()
	logStart := logSize(s.LogFile)
	s.Started = time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("slapd: start %s: %w", bin, err)
	}
	s.cmd = cmd
	s.PID = cmd.Process.Pid
	s.done = make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(s.done)
	}()

	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-s.done:
			tail := s.logTail(logStart)
			if strings.Contains(tail, "bind(") || strings.Contains(tail, "Address already in use") {
				return fmt.Errorf("slapd: %w (%s): %s", errBind, cmd.ProcessState, tail)
			}
			return fmt.Errorf("slapd exited during start (%s); %s: %s", cmd.ProcessState, s.LogFile, tail)
		case <-ctx.Done():
			_ = s.Kill()
			return fmt.Errorf("slapd: start: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
		if err := ping(s.URL); err == nil {
			s.Ready = time.Now()
			return nil
		} else if time.Now().After(deadline) {
			_ = s.Kill()
			return fmt.Errorf("slapd did not answer on %s within 30s (%v); %s: %s", s.URL, err, s.LogFile, s.logTail(logStart))
		}
	}
}

func ping(url string) error {
	c, err := goldap.DialURL(url, goldap.DialWithDialer(&net.Dialer{Timeout: time.Second}))
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetTimeout(2 * time.Second)
	_, err = c.Search(goldap.NewSearchRequest("", goldap.ScopeBaseObject, goldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{"namingContexts"}, nil))
	return err
}

// Stop ends slapd: SIGTERM, then SIGKILL after 10 s. Stopping a stopped server is a no-op.
func (s *Server) Stop() error {
	if s == nil || s.cmd == nil {
		return nil
	}
	select {
	case <-s.done:
		return nil
	default:
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("slapd: SIGTERM to %d: %w", s.PID, err)
	}
	select {
	case <-s.done:
		return nil
	case <-time.After(10 * time.Second):
	}
	return s.Kill()
}

// Kill ends slapd at once with SIGKILL (a crash, for fault tests) and waits for it to exit.
func (s *Server) Kill() error {
	if s == nil || s.cmd == nil {
		return nil
	}
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("slapd: SIGKILL to %d: %w", s.PID, err)
	}
	select {
	case <-s.done:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("slapd: pid %d did not exit after SIGKILL", s.PID)
	}
}

// Done is closed when the slapd process has exited.
func (s *Server) Done() <-chan struct{} { return s.done }

// Log returns the last lines of slapd's log (for test failure messages).
func (s *Server) Log() string { return s.logTail(0) }

func (s *Server) logTail(from int64) string {
	b, err := os.ReadFile(s.LogFile)
	if err != nil {
		return err.Error()
	}
	if from > 0 && from <= int64(len(b)) {
		b = b[from:]
	}
	const max = 2000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return strings.TrimSpace(string(b))
}

func logSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// paths finds the module and schema directories of this machine's OpenLDAP.
func paths() (modules, schema string) {
	for _, d := range []string{"/usr/lib/ldap", "/usr/lib/openldap", "/usr/lib64/openldap", "/usr/local/libexec/openldap"} {
		if _, err := os.Stat(filepath.Join(d, "back_mdb.so")); err == nil {
			modules = d
			break
		}
	}
	for _, d := range []string{"/etc/ldap/schema", "/etc/openldap/schema", "/usr/local/etc/openldap/schema"} {
		if _, err := os.Stat(filepath.Join(d, "core.schema")); err == nil {
			schema = d
			break
		}
	}
	if schema == "" {
		schema = "/etc/ldap/schema"
	}
	return modules, schema
}

func config(dir string, opts Options, s *Server, tf *certFiles) string {
	modules, schema := paths()
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("# generated by sspr's internal/slapd: a throwaway server")
	for _, f := range []string{"core", "cosine", "inetorgperson", "nis"} {
		w("include %s", filepath.Join(schema, f+".schema"))
	}
	w("pidfile %s", filepath.Join(dir, "slapd.pid"))
	w("argsfile %s", filepath.Join(dir, "slapd.args"))
	if modules != "" {
		w("modulepath %s", modules)
		w("moduleload back_mdb")
		if opts.PPolicy {
			w("moduleload ppolicy")
		}
		if opts.SyncProv {
			w("moduleload syncprov")
		}
	}
	w("sizelimit unlimited")
	w("timelimit unlimited")
	if tf != nil {
		w("TLSCACertificateFile %s", tf.CA)
		w("TLSCertificateFile %s", tf.Cert)
		w("TLSCertificateKeyFile %s", tf.Key)
	}
	for _, a := range opts.Access {
		w("%s", a)
	}
	w("access to attrs=userPassword by self write by anonymous auth by * none")
	w("access to * by * read")
	w("database mdb")
	w("maxsize %d", int64(4)<<30) // room for 300k+ users
	w("suffix %q", s.Suffix)
	w("rootdn %q", s.AdminDN)
	w("rootpw %s", s.AdminPassword)
	w("directory %s", filepath.Join(dir, "data"))
	if opts.NoSync {
		w("dbnosync")
	}
	w("index objectClass eq")
	w("index entryUUID eq")
	w("index uid,cn,mail eq")
	w("index member,uniqueMember eq")
	w("index modifyTimestamp eq")
	if opts.SyncProv {
		w("index entryCSN eq")
	}
	if opts.PPolicy {
		w("overlay ppolicy")
		w("ppolicy_default %q", s.PolicyDN)
		w("ppolicy_hash_cleartext")
		w("ppolicy_use_lockout")
	}
	if opts.SyncProv {
		w("overlay syncprov")
		w("syncprov-checkpoint 100 5") // write contextCSN every 100 operations or 5 minutes
		switch n := opts.SyncProvSessionLog; {
		case n == 0:
			w("syncprov-sessionlog %d", defaultSessionLog)
		case n > 0:
			w("syncprov-sessionlog %d", n)
		}
	}
	return b.String()
}

// load bulk-loads the suffix entry (unless an LDIF has it), the policy and the given LDIFs.
func load(ctx context.Context, addBin, conf, dir string, opts Options, s *Server) error {
	var files []string
	for i, l := range opts.LDIF {
		p := filepath.Join(dir, fmt.Sprintf("load-%d.ldif", i))
		if err := os.WriteFile(p, l, 0o600); err != nil {
			return fmt.Errorf("slapd: %w", err)
		}
		files = append(files, p)
	}
	files = append(files, opts.LDIFFiles...)
	hasSuffix := false
	for _, l := range opts.LDIF {
		if containsEntry(l, s.Suffix) {
			hasSuffix = true
		}
	}
	for _, f := range opts.LDIFFiles {
		if b, err := readHead(f, 64<<10); err == nil && containsEntry(b, s.Suffix) {
			hasSuffix = true
		}
	}
	var base bytes.Buffer
	if !hasSuffix {
		e, err := suffixEntry(s.Suffix)
		if err != nil {
			return err
		}
		base.WriteString(e)
	}
	if opts.PPolicy {
		base.WriteString(policyEntries(s.Suffix, s.PolicyDN))
	}
	if base.Len() > 0 {
		p := filepath.Join(dir, "base.ldif")
		if err := os.WriteFile(p, base.Bytes(), 0o600); err != nil {
			return fmt.Errorf("slapd: %w", err)
		}
		if hasSuffix {
			files = append(files, p) // the policy entries go under the suffix
		} else {
			files = append([]string{p}, files...)
		}
	}
	for _, f := range files {
		cmd := exec.CommandContext(ctx, addBin, "-q", "-f", conf, "-l", f)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			o := strings.TrimSpace(string(out))
			if len(o) > 2000 {
				o = o[len(o)-2000:]
			}
			return fmt.Errorf("slapd: slapadd -l %s: %w: %s", f, err, o)
		}
	}
	return nil
}

func readHead(p string, n int) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, n)
	k, err := f.Read(b)
	if k > 0 {
		return b[:k], nil
	}
	return nil, err
}

func containsEntry(ldif []byte, dn string) bool {
	want, err := goldap.ParseDN(dn)
	if err != nil {
		return false
	}
	for _, line := range bytes.Split(ldif, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		if len(line) < 4 || !bytes.EqualFold(line[:3], []byte("dn:")) || line[3] == ':' {
			continue
		}
		if got, err := goldap.ParseDN(strings.TrimSpace(string(line[3:]))); err == nil && got.EqualFold(want) {
			return true
		}
	}
	return false
}

// suffixEntry builds the suffix's entry from its first RDN: dc, o or ou.
func suffixEntry(suffix string) (string, error) {
	dn, _ := goldap.ParseDN(suffix)
	if len(dn.RDNs) == 0 || len(dn.RDNs[0].Attributes) != 1 {
		return "", fmt.Errorf("slapd: cannot build an entry for suffix %q: put it in Options.LDIF", suffix)
	}
	a := dn.RDNs[0].Attributes[0]
	var b strings.Builder
	b.WriteString(Line("dn", suffix))
	switch strings.ToLower(a.Type) {
	case "dc":
		b.WriteString("objectClass: top\nobjectClass: dcObject\nobjectClass: organization\n")
		b.WriteString(Line("dc", a.Value))
		b.WriteString(Line("o", a.Value))
	case "o":
		b.WriteString("objectClass: top\nobjectClass: organization\n")
		b.WriteString(Line("o", a.Value))
	case "ou":
		b.WriteString("objectClass: top\nobjectClass: organizationalUnit\n")
		b.WriteString(Line("ou", a.Value))
	default:
		return "", fmt.Errorf("slapd: cannot build an entry for suffix %q: put it in Options.LDIF", suffix)
	}
	b.WriteString("\n")
	return b.String(), nil
}

func policyEntries(suffix, policyDN string) string {
	var b strings.Builder
	b.WriteString(Line("dn", "ou=policies,"+suffix))
	b.WriteString("objectClass: top\nobjectClass: organizationalUnit\nou: policies\n\n")
	b.WriteString(Line("dn", policyDN))
	b.WriteString(`objectClass: top
objectClass: device
objectClass: pwdPolicy
cn: default
pwdAttribute: userPassword
pwdInHistory: 5
pwdMinLength: 8
pwdCheckQuality: 1
pwdLockout: TRUE
pwdMaxFailure: 5
pwdLockoutDuration: 300
pwdFailureCountInterval: 300
pwdAllowUserChange: TRUE
pwdSafeModify: FALSE

`)
	return b.String()
}
