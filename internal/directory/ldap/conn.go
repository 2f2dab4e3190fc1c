package ldap

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	goldap "github.com/go-ldap/ldap/v3"
)

// readError is an error with a message written for the administrator and the sentinels (and
// cause) it wraps for errors.Is / errors.As.
type readError struct {
	msg   string
	kinds []error
}

func (e *readError) Error() string   { return e.msg }
func (e *readError) Unwrap() []error { return e.kinds }

func newError(kind error, cause error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	kinds := []error{kind}
	if cause != nil {
		msg += ": " + cause.Error()
		kinds = append(kinds, cause)
	}
	return &readError{msg: msg, kinds: kinds}
}

// conn is one connection for one Read, used by one goroutine. Every wait for the server
// (each read from and write to the socket) is bounded by the timeout; cancelling ctx closes
// the connection at once.
type conn struct {
	nc       net.Conn
	br       *bufio.Reader
	url      string
	timeout  time.Duration
	pageSize uint32
	lastID   int64
	buf      []byte
	hdr      [6]byte
	ent      entry
	// broken: a streamed search was left early and closed the connection.
	broken bool
	// raw is the TCP socket under nc (TLS or not). got counts the bytes read from nc; pageEnd
	// is the count a streamed paged search's reads may wait for (0: none, see readAhead);
	// lowatSet the socket's SO_RCVLOWAT (0 or 1: the default); asked the most a read of the
	// current page waited towards (see lowatOverasks).
	raw      syscall.RawConn
	got      int64
	pageEnd  int64
	asked    int64
	lowatSet int
	stop     func() bool
	ctx      context.Context
}

func (r *Reader) connect(ctx context.Context) (*conn, error) {
	d := &net.Dialer{Timeout: r.t.OperationTimeout}
	dctx, cancel := context.WithTimeout(ctx, r.t.OperationTimeout)
	defer cancel()
	nc, err := d.DialContext(dctx, "tcp", r.t.Addr)
	if err != nil {
		return nil, r.dialError(ctx, err)
	}
	var raw syscall.RawConn
	if tc, ok := nc.(*net.TCPConn); ok {
		raw, _ = tc.SyscallConn()
	}
	switch {
	case r.t.LDAPS:
		tc := tls.Client(nc, r.t.TLS)
		if err := tc.HandshakeContext(dctx); err != nil {
			nc.Close()
			return nil, r.handshakeError(ctx, err)
		}
		nc = tc
	case r.t.StartTLS:
		if nc, err = startTLS(dctx, nc, r.t.TLS); err != nil {
			return nil, r.handshakeError(ctx, err)
		}
	}
	c := &conn{
		nc:       nc,
		url:      r.t.URL,
		timeout:  r.t.OperationTimeout,
		pageSize: uint32(r.cfg.PageSize),
		ctx:      ctx,
		lastID:   1, // StartTLS used message 1
		raw:      raw,
	}
	c.br = bufio.NewReaderSize(deadlineReader{c}, 64<<10)
	c.stop = context.AfterFunc(ctx, func() { nc.Close() })

	if err := c.bind(r.t.BindDN, r.t.BindPassword.Reveal()); err != nil {
		c.close()
		return nil, c.bindError(r.t.BindDN, err)
	}
	return c, nil
}

// deadlineReader bounds every read from the socket by the timeout.
type deadlineReader struct{ c *conn }

func (d deadlineReader) Read(p []byte) (int, error) {
	c := d.c
	want := 0
	if c.pageEnd > 0 {
		want = int(min(c.pageEnd-c.got, lowatBytes))
	}
	if want > 1 && c.lowatSet != want && setLowat(c.raw, want) {
		c.lowatSet = want
	}
	if want > 1 && c.lowatSet == want {
		// Take what is there, else wait until want bytes are (one wake-up for some hundred
		// entries, not one for each write of the server), but never longer than lowatWait.
		c.asked = max(c.asked, c.got+int64(want))
		_ = c.nc.SetReadDeadline(time.Now().Add(lowatWait))
		n, err := c.nc.Read(p)
		c.got += int64(n)
		if n > 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
			return n, err
		}
	}
	if c.lowatSet > 1 && setLowat(c.raw, 1) {
		c.lowatSet = 1
	}
	_ = c.nc.SetReadDeadline(time.Now().Add(c.timeout))
	n, err := c.nc.Read(p)
	c.got += int64(n)
	return n, err
}

const (
	// lowatBytes: a streamed paged search wakes its reader when this much has arrived (some
	// hundred entries), or what is left of the page when less. A reader that wakes for every
	// entry the server writes costs a context switch each, on both sides: on a 2-core VM, a
	// no-change sync of 100,000 users made 20,000 to 40,000 of them (ldapsearch: 400).
	lowatBytes = 32 << 10
	// lowatWait: how long a read waits for its low-water mark before it takes what there is
	// (a page's entries smaller than the smallest seen so far).
	lowatWait = 2 * time.Millisecond
)

// lowatOverasks counts the full pages of a streamed search whose reads waited for more than
// the server sent before the page's end (tests: a read that asks too much always waits for
// lowatWait, one that asks what is coming waits only when the server is slow).
var lowatOverasks atomic.Int64

// readAhead sets how many bytes, after those read so far, the next reads may wait for: n
// (the rest of a page's entries) while a paged search streams, 0 for none. Bytes already read
// from the socket but not yet parsed count as part of n.
func (c *conn) readAhead(n int) {
	if n <= 0 {
		c.pageEnd = 0
		return
	}
	c.pageEnd = c.got - int64(c.br.Buffered()) + int64(n)
}

// pageDone ends a page of a streamed search that had all the entries expected (full): it
// counts the page in lowatOverasks when a read waited for more than came before its end.
func (c *conn) pageDone(full bool) {
	if full && c.asked > c.got {
		lowatOverasks.Add(1)
	}
	c.asked = 0
}

func (c *conn) close() {
	c.stop()
	if c.broken {
		return
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(time.Second))
	c.lastID++
	_, _ = c.nc.Write(unbindRequest(c.lastID))
	c.nc.Close()
}

// abort closes the connection at once (a streamed search left early).
func (c *conn) abort() {
	c.broken = true
	c.nc.Close()
}

func (c *conn) send(b []byte) error {
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.timeout))
	_, err := c.nc.Write(b)
	return err
}

// next reads the next message for request id. Answers to an earlier request (a search
// left early) are skipped; an unsolicited notice (ID 0) ends the read; any other ID is an
// error.
func (c *conn) next(id int64) (message, error) {
	for {
		m, err := c.read()
		if err != nil {
			return m, err
		}
		switch {
		case m.id == 0 && m.op == opExtendedResponse:
			return m, noticeOfDisconnection(m)
		case m.id > 0 && m.id < id:
			continue
		case m.id != id:
			return m, fmt.Errorf("%w: answer to message %d while waiting for %d", errMalformed, m.id, id)
		}
		return m, nil
	}
}

// read reads one message into c.buf.
func (c *conn) read() (message, error) {
	hdr, total, err := c.header()
	if err != nil {
		return message{}, err
	}
	if cap(c.buf) < total {
		c.buf = make([]byte, total, total+total/2)
	}
	c.buf = c.buf[:total]
	n := copy(c.buf, hdr)
	if _, err := io.ReadFull(c.br, c.buf[n:]); err != nil {
		return message{}, err
	}
	return parseMessage(c.buf)
}

// header reads the tag and length of the next message and returns them (valid until the
// next call) with the message's total size. A length over maxMessage is refused.
func (c *conn) header() ([]byte, int, error) {
	tag, err := c.br.ReadByte()
	if err != nil {
		return nil, 0, err
	}
	if tag != tagSequence {
		return nil, 0, fmt.Errorf("%w: message tag 0x%02x", errMalformed, tag)
	}
	c.hdr[0] = tag
	c.hdr[1], err = c.br.ReadByte()
	if err != nil {
		return nil, 0, err
	}
	hl := 1
	if c.hdr[1] >= 0x80 {
		k := int(c.hdr[1] & 0x7f)
		if k == 0 || k > 4 {
			return nil, 0, fmt.Errorf("%w: bad length", errMalformed)
		}
		if _, err := io.ReadFull(c.br, c.hdr[2:2+k]); err != nil {
			return nil, 0, err
		}
		hl += k
	}
	n, _, err := berLength(c.hdr[1 : 1+hl])
	if err != nil {
		return nil, 0, err
	}
	return c.hdr[:1+hl], 1 + hl + n, nil
}

func (c *conn) bind(dn, password string) error {
	c.lastID++
	if err := c.send(bindRequest(c.lastID, dn, password)); err != nil {
		return err
	}
	m, err := c.next(c.lastID)
	if err != nil {
		return err
	}
	if m.op != opBindResponse {
		return fmt.Errorf("%w: op 0x%02x in answer to a bind", errMalformed, m.op)
	}
	return result(m.body)
}

// search sends one search and calls fn for each entry as it is decoded (valid only during
// the call). It returns the controls of the SearchResultDone (pointing into the read
// buffer: use them before the next read), or the search's error.
func (c *conn) search(base string, scope int, filter string, attrs []string, fn func(*entry) error, controls ...goldap.Control) ([]byte, error) {
	fp, err := goldap.CompileFilter(filter)
	if err != nil {
		return nil, fmt.Errorf("filter %q: %w", filter, err)
	}
	c.lastID++
	id := c.lastID
	if err := c.send(searchRequest(id, base, scope, fp, attrs, controls...)); err != nil {
		return nil, err
	}
	for {
		m, err := c.next(id)
		if err != nil {
			return nil, err
		}
		switch m.op {
		case opSearchEntry:
			if err := c.ent.parse(m.body); err != nil {
				return nil, err
			}
			if err := fn(&c.ent); err != nil {
				return nil, err
			}
		case opSearchDone:
			if err := result(m.body); err != nil {
				return nil, err
			}
			return m.controls, nil
		case opSearchReference, opIntermediate:
			// continuation references (AD's other partitions) and intermediate responses
		default:
			return nil, fmt.Errorf("%w: op 0x%02x in answer to a search", errMalformed, m.op)
		}
	}
}

// searchOne runs a non-paged search expected to return few entries (rootDSE, one group)
// and returns copies of them.
func (c *conn) searchOne(base string, scope int, filter string, attrs []string, controls ...goldap.Control) ([]*goldap.Entry, error) {
	var out []*goldap.Entry
	_, err := c.search(base, scope, filter, attrs, func(e *entry) error {
		out = append(out, e.copyEntry())
		return nil
	}, controls...)
	return out, err
}

// startTLS runs the StartTLS extended operation (RFC 4511 4.14), as message 1, on a fresh
// connection and returns the TLS connection, so that a certificate error keeps its type
// (go-ldap's Conn.StartTLS flattens it into a string).
func startTLS(ctx context.Context, nc net.Conn, cfg *tls.Config) (net.Conn, error) {
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	req := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "LDAP Request")
	req.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, int64(1), "MessageID"))
	ext := ber.Encode(ber.ClassApplication, ber.TypeConstructed, goldap.ApplicationExtendedRequest, nil, "Start TLS")
	ext.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, "1.3.6.1.4.1.1466.20037", "TLS Extended Command"))
	req.AppendChild(ext)
	if _, err := nc.Write(req.Bytes()); err != nil {
		nc.Close()
		return nil, fmt.Errorf("StartTLS: %w", err)
	}
	resp, err := ber.ReadPacket(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("StartTLS: %w", err)
	}
	if err := goldap.GetLDAPError(resp); err != nil {
		nc.Close()
		return nil, fmt.Errorf("StartTLS refused: %w", err)
	}
	tc := tls.Client(nc, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	_ = nc.SetDeadline(time.Time{})
	return tc, nil
}

func (r *Reader) handshakeError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if e := tlsError(err, r.t.Host); e != nil {
		return e
	}
	var ldapErr *goldap.Error
	if errors.As(err, &ldapErr) {
		return newError(ErrTLS, err, "%s refused StartTLS", r.t.URL)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return newError(ErrTimeout, err, "TLS handshake with %s: no answer within %s", r.t.URL, r.t.OperationTimeout)
	}
	return newError(ErrTLS, err, "TLS handshake with %s failed (an ldap:// port used as ldaps://?)", r.t.URL)
}

func (r *Reader) dialError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return newError(ErrUnreachable, err, "cannot reach %s within %s", r.t.URL, r.t.OperationTimeout)
	}
	return newError(ErrUnreachable, err, "cannot reach %s", r.t.URL)
}

// tlsError explains a certificate problem, or returns nil when err is not one.
func tlsError(err error, host string) error {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		verify   *tls.CertificateVerificationError
		alert    tls.AlertError
		rec      tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &unknown):
		return newError(ErrTLS, err, "TLS: certificate not trusted; check directory.caFile")
	case errors.As(err, &hostname):
		return newError(ErrTLS, err, "TLS: the certificate is not valid for %q; use a host name the certificate names in directory.url", host)
	case errors.As(err, &invalid):
		return newError(ErrTLS, err, "TLS: the directory's certificate is invalid (expired or not for server use)")
	case errors.As(err, &verify):
		return newError(ErrTLS, err, "TLS: certificate verification failed; check directory.caFile")
	case errors.As(err, &alert):
		return newError(ErrTLS, err, "TLS: the directory refused the handshake")
	case errors.As(err, &rec):
		return newError(ErrTLS, err, "TLS: the directory did not answer in TLS (an ldap:// port used as ldaps://?)")
	}
	return nil
}

// wrap turns an error of an operation on c into one that says what happened.
func (c *conn) wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	if c.ctx.Err() != nil {
		return c.ctx.Err()
	}
	what := fmt.Sprintf(format, args...)
	var (
		re      *readError
		ldapErr *goldap.Error
		ne      net.Error
	)
	switch {
	case errors.As(err, &re), errors.As(err, &ldapErr):
		return fmt.Errorf("%s: %w", what, err)
	case errors.As(err, &ne) && ne.Timeout():
		return newError(ErrTimeout, err, "%s: %s did not answer within %s", what, c.url, c.timeout)
	case errors.Is(err, errMalformed):
		return fmt.Errorf("%s: %w", what, err)
	}
	return newError(ErrUnreachable, err, "%s: connection to %s lost", what, c.url)
}

func (c *conn) bindError(dn string, err error) error {
	var ldapErr *goldap.Error
	if !errors.As(err, &ldapErr) {
		return c.wrap(err, "bind as %s", dn)
	}
	switch {
	case goldap.IsErrorWithCode(err, goldap.LDAPResultInvalidCredentials):
		return newError(ErrBind, err, "bind as %s failed: invalid credentials", dn)
	case goldap.IsErrorWithCode(err, goldap.LDAPResultStrongAuthRequired),
		goldap.IsErrorWithCode(err, goldap.LDAPResultConfidentialityRequired):
		return newError(ErrBind, err, "bind as %s failed: the directory requires TLS (use ldaps:// or startTLS)", dn)
	case goldap.IsErrorWithCode(err, goldap.LDAPResultInvalidDNSyntax):
		return newError(ErrBind, err, "bind as %s failed: invalid DN", dn)
	}
	return newError(ErrBind, err, "bind as %s failed", dn)
}

// each runs a paged subtree search (RFC 2696), streamed (stream.go), and calls fn for
// every entry as it arrives, page after page: entries are never collected. Referrals are
// ignored. It fails when the search fails (noSuchObject for a missing base included), when
// the connection is lost, or when a page ends without the paging control (a cut-off answer
// must never look complete). When fn fails the connection is closed.
func (c *conn) each(ctx context.Context, base, filter string, attrs []string, fn func(*entry) error, controls ...goldap.Control) error {
	s, err := c.stream(base, goldap.ScopeWholeSubtree, filter, attrs, &paging{base: base, size: c.pageSize, extra: controls})
	if err != nil {
		return err
	}
	return s.run(ctx, func(it *item) error {
		if it.op == opSearchEntry {
			return fn(it.ent)
		}
		return nil
	})
}
