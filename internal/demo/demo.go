// Package demo holds the bundled sample directory that `sspr demo` loads into a throwaway
// OpenLDAP (or reads as an LDIF export when slapd is not installed), and the configuration the
// demo writes for it.
package demo

import (
	_ "embed"
	"fmt"
)

// SampleLDIF is ~20 users under ou=Staff,dc=contoso,dc=com with phone numbers written the many
// ways directories hold them; some are unusable on purpose.
//
//go:embed sample.ldif
var SampleLDIF []byte

// Users is how many users the sample holds.
const Users = 21

// Suffix is the sample directory's base.
const Suffix = "dc=contoso,dc=com"

// BaseDN holds the sample users.
const BaseDN = "ou=Staff,dc=contoso,dc=com"

// Server is the demo's server block: pages on listen, codes printed and appended to a file.
func Server(listen, secretFile, outboxFile string) string {
	return fmt.Sprintf(`server:
  listen: %s
  publicURL: http://%s
  secretFile: %s
branding:
  companyName: Contoso (demo)
  userNameHint: alice       # a sample user: the example on the first page leads somewhere
notify:
  console: true             # codes are printed by sspr demo
  file: %s
`, listen, listen, secretFile, outboxFile)
}

// LiveConfig is the demo's configuration for a running sample directory.
func LiveConfig(storePath, url, bindDN, passwordFile, caFile string) string {
	return fmt.Sprintf(`# Written by sspr demo: the embedded store and a throwaway OpenLDAP with the sample users.
store: sqlite://%s
directory:
  type: openldap
  url: %s
  bindDN: %s
  bindPasswordFile: %s
  caFile: %s
  baseDNs: [%q]
  mapping:
    alternateEmails: mail   # the sample keeps a private address in mail
phone:
  defaultRegion: US
sync:
  interval: 30m
  deleteThreshold: 500
`, storePath, url, bindDN, passwordFile, caFile, BaseDN)
}

// FileConfig is the demo's configuration when slapd is not installed: the same users read from
// the sample as an LDIF export.
func FileConfig(storePath, ldifPath string) string {
	return fmt.Sprintf(`# Written by sspr demo: the embedded store and the sample users read from an LDIF export
# (slapd is not installed here).
store: sqlite://%s
directory:
  type: openldap
  file: %s
  mapping:
    alternateEmails: mail
phone:
  defaultRegion: US
`, storePath, ldifPath)
}
