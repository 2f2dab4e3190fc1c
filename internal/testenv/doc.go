// Package testenv gives tests the real servers they run against: a throwaway OpenLDAP slapd per
// test (started here, on loopback), and the Samba AD domain controller and PostgreSQL server that
// the project's test command (scripts/test.sh, via make test) starts once and describes in
// SSPR_TEST_* environment variables; and HAProxy or nginx, started in the foreground in front
// of a test's backend (ReverseProxy). Where integration tests are required (make test, CI=true)
// a missing server fails the test; elsewhere it skips.
package testenv
