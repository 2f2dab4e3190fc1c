package directory

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// TLSConfig is the TLS client configuration for a directory server: TLS 1.2 or later, the
// server name checked against host, and, when caFile is set, only the certificates in it as
// roots (else the system's). The LDAP reader and the writeback both connect with it.
func TLSConfig(host, caFile string) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host}
	if caFile == "" {
		return c, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return c, fmt.Errorf("caFile: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return c, fmt.Errorf("caFile %s: no PEM certificate in it", caFile)
	}
	c.RootCAs = pool
	return c, nil
}
