// Package ldapconn is the one description of how sspr reaches the directory over LDAP: URL,
// StartTLS, CA file, the service account (bind DN and password) and two named timeouts, one per
// operation (each wait for the server's answer) and one per call (a whole interactive call:
// dial, TLS, bind and the operation). The directory reader, the password writeback and
// `sspr config validate --connect` all take an Endpoint, and Check validates it once, reporting
// every problem as a *problem.List keyed by the YAML names (url, startTLS, caFile, bindDN,
// bindPassword, operationTimeout, callTimeout) so that the configuration can prefix them with
// "directory.".
package ldapconn
