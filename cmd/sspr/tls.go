package main

import (
	"crypto/tls"
	"fmt"
	"sync/atomic"
)

// certReloader serves server.tlsCertFile and tlsKeyFile, read again on SIGHUP: a handshake
// takes the certificate of the moment (tls.Config.GetCertificate), so connections already
// open keep theirs and nothing is dropped.
type certReloader struct {
	certFile, keyFile string
	cur               atomic.Pointer[tls.Certificate]
}

func newCertReloader(certFile, keyFile string) (*certReloader, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile}
	if err := r.reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// reload reads the pair; on an error the certificate in use stays.
func (r *certReloader) reload() error {
	c, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("server.tlsCertFile, server.tlsKeyFile: %w", err)
	}
	r.cur.Store(&c)
	return nil
}

func (r *certReloader) get(*tls.ClientHelloInfo) (*tls.Certificate, error) { return r.cur.Load(), nil }

// tlsConfig is the listener's configuration: TLS 1.2 at least, HTTP/2 offered by ALPN.
func (r *certReloader) tlsConfig() *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: r.get,
		NextProtos:     []string{"h2", "http/1.1"},
	}
}
