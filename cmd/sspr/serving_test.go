package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/secret"
)

// writeSelfSigned writes a self-signed certificate for 127.0.0.1 named cn, and its key.
func writeSelfSigned(t *testing.T, certFile, keyFile, cn string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	// Written beside and renamed, as an administrator (or certbot) replaces them.
	for _, f := range []struct {
		path, typ string
		der       []byte
	}{{certFile, "CERTIFICATE", der}, {keyFile, "EC PRIVATE KEY", kb}} {
		if err := os.WriteFile(f.path+".new", pem.EncodeToMemory(&pem.Block{Type: f.typ, Bytes: f.der}), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(f.path+".new", f.path); err != nil {
			t.Fatal(err)
		}
	}
}

// serveProcess is one `sspr serve` this test started.
type serveProcess struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// startServeProcess runs `sspr serve --no-sync` with cfg, waits until url/healthz answers with
// client, and stops the process (SIGKILL, by its PID) at the end of the test if still running.
func startServeProcess(t *testing.T, cfg, base string, client *http.Client) *serveProcess {
	t.Helper()
	p := &serveProcess{log: filepath.Join(filepath.Dir(cfg), "serve.log"), done: make(chan struct{})}
	p.cmd = command(context.Background(), cfg, "serve", "--no-sync")
	logf, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logf.Close()
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("serve log:\n%s", mustRead(t, p.log))
		}
	})
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); { // a loaded machine starts slowly
		if resp, err := client.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("sspr serve exited:\n%s", mustRead(t, p.log))
		case <-time.After(25 * time.Millisecond):
		}
	}
	t.Fatal("sspr serve did not start")
	return nil
}

// TestTLSReloadAndHTTP2: serve with TLS offers HTTP/2 by ALPN; after the certificate and key
// files are replaced and the process gets SIGHUP, a new connection sees the new certificate
// while a keep-alive connection opened before goes on working with the old one.
func TestTLSReloadAndHTTP2(t *testing.T) {
	d := newDirectory(t, nil, "")
	addr := freeAddr(t)
	certFile, keyFile := filepath.Join(d.dir, "tls.crt"), filepath.Join(d.dir, "tls.key")
	writeSelfSigned(t, certFile, keyFile, "cert A")
	secretPath := filepath.Join(d.dir, "secret")
	if _, err := secret.Generate(secretPath); err != nil {
		t.Fatal(err)
	}
	d.writeConfig(t, mustRead(t, d.cfg)+fmt.Sprintf(`server:
  listen: %s
  publicURL: https://%s
  secretFile: %s
  tlsCertFile: %s
  tlsKeyFile: %s
  metricsListen: none
notify:
  file: %s
`, addr, addr, secretPath, certFile, keyFile, filepath.Join(d.dir, "outbox.jsonl")))
	insecure := &tls.Config{InsecureSkipVerify: true} // the test compares the certificates itself
	h2 := &http.Client{Transport: &http.Transport{TLSClientConfig: insecure.Clone(), ForceAttemptHTTP2: true}, Timeout: 10 * time.Second}
	base := "https://" + addr
	p := startServeProcess(t, d.cfg, base, h2)

	resp, err := h2.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Proto != "HTTP/2.0" || resp.TLS.NegotiatedProtocol != "h2" {
		t.Errorf("protocol %s, ALPN %q: want HTTP/2.0 by h2", resp.Proto, resp.TLS.NegotiatedProtocol)
	}
	if cn := resp.TLS.PeerCertificates[0].Subject.CommonName; cn != "cert A" {
		t.Fatalf("certificate %q, want cert A", cn)
	}

	// A keep-alive HTTP/1.1 connection opened with cert A.
	old, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	oldR := bufio.NewReader(old)
	get := func() int {
		t.Helper()
		fmt.Fprintf(old, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
		r, err := http.ReadResponse(oldR, nil)
		if err != nil {
			t.Fatalf("keep-alive connection: %v", err)
		}
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
		return r.StatusCode
	}
	if code := get(); code != http.StatusOK {
		t.Fatalf("healthz: %d", code)
	}

	writeSelfSigned(t, certFile, keyFile, "cert B")
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil { // the process this test started
		t.Fatal(err)
	}
	var cn string
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); { // however loaded the machine
		c, err := tls.Dial("tcp", addr, insecure)
		if err != nil {
			t.Fatal(err)
		}
		cn = c.ConnectionState().PeerCertificates[0].Subject.CommonName
		c.Close()
		if cn == "cert B" {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	if cn != "cert B" {
		t.Errorf("after SIGHUP a new connection gets %q, want cert B", cn)
	}
	if code := get(); code != http.StatusOK {
		t.Errorf("the keep-alive connection after the reload: %d", code)
	}
	if got := old.ConnectionState().PeerCertificates[0].Subject.CommonName; got != "cert A" {
		t.Errorf("the open connection has %q", got)
	}
	select {
	case <-p.done:
		t.Fatal("serve exited on SIGHUP")
	default:
	}
	if log := mustRead(t, p.log); !strings.Contains(log, "TLS certificate reloaded") {
		t.Errorf("the reload is not logged:\n%s", log)
	}
}

// slowProxy forwards TCP connections to target; while slow is set, every chunk waits delay
// first, and entered receives once when the first chunk is held.
type slowProxy struct {
	addr    string
	slow    atomic.Bool
	entered chan struct{}
	once    atomic.Bool
}

func newSlowProxy(t *testing.T, target string, delay time.Duration) *slowProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	p := &slowProxy{addr: ln.Addr().String(), entered: make(chan struct{}, 1)}
	pipe := func(dst, src net.Conn) {
		defer dst.Close()
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				if p.slow.Load() {
					if p.once.CompareAndSwap(false, true) {
						p.entered <- struct{}{}
					}
					time.Sleep(delay)
				}
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			go pipe(s, c)
			go pipe(c, s)
		}
	}()
	return p
}

// TestGracefulShutdownFinishesReset: SIGTERM while a reset's writeback is held up on its way to
// the directory: the user still gets the done page, the password is set, and the process
// exits 0.
func TestGracefulShutdownFinishesReset(t *testing.T) {
	d := newDirectory(t, nil, "")
	u, err := url.Parse(d.srv.LDAPSURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newSlowProxy(t, u.Host, 500*time.Millisecond)
	text, addr, outbox := serveConfig(t, d.dir)
	// The directory is reached through the proxy (same address, another port: the
	// certificate is for 127.0.0.1).
	cfg := strings.Replace(mustRead(t, d.cfg), d.srv.LDAPSURL, "ldaps://"+proxy.addr, 1)
	text = strings.Replace(text, "  console: true", "  console: false", 1)
	d.writeConfig(t, cfg+strings.Replace(text, "server:\n", "server:\n  metricsListen: none\n", 1))
	if r := run(t, d.cfg, "sync", "-q"); r.code != 0 {
		t.Fatal(r)
	}
	base := "http://" + addr
	p := startServeProcess(t, d.cfg, base, http.DefaultClient)

	c := &cluster{base: base}
	b := c.browser(t)
	b.start(t, "alice")
	b.send(t, "sms")
	b.post(t, "/reset/code", url.Values{"option": {"sms"}, "code": {codeFor(t, outbox, "sms", "+14255550100")}})

	const pw = "Graceful-Orchid-Kettle-58"
	proxy.slow.Store(true)
	// The answer to the form is a redirect to /reset/done (post, redirect, get): with the
	// only instance stopping, the browser follows it once the service is back.
	b.noFollow = true
	page := make(chan string, 1)
	go func() {
		_, err := b.try(http.MethodPost, "/reset/complete", url.Values{"password": {pw}, "confirm": {pw}})
		if err != nil {
			page <- err.Error()
			return
		}
		page <- b.last
	}()
	select {
	case <-proxy.entered:
	case <-time.After(20 * time.Second):
		t.Fatal("the writeback never reached the directory")
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil { // the process this test started
		t.Fatal(err)
	}
	sent := time.Now()
	select {
	case got := <-page:
		if got != "303 /reset/done" {
			t.Fatalf("the reset in flight at SIGTERM answered: %s", got)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no answer after SIGTERM")
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not exit after SIGTERM")
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit %d after SIGTERM, want 0", code)
	}
	t.Logf("answered and exited %s after SIGTERM", time.Since(sent).Round(time.Millisecond))
	proxy.slow.Store(false)
	if err := bindWith(t, d.srv.LDAPSURL, d.srv.CAFile, "uid=alice,ou=Staff,dc=contoso,dc=com", pw); err != nil {
		t.Errorf("bind with the new password: %v", err)
	}
	// Started again, the service shows the user the done page the redirect names.
	startServeProcess(t, d.cfg, base, http.DefaultClient)
	b.noFollow = false
	if done := b.do(t, http.MethodGet, "/reset/done", nil); !strings.Contains(done, `id="done"`) {
		t.Errorf("the done page after the restart:\n%s", done)
	}
}
