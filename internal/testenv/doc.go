// Package testenv gives tests the real servers they run against: a throwaway OpenLDAP slapd per
// test (started here, on loopback), and the Samba AD domain controller and PostgreSQL server that
// the project's test command (scripts/test.sh, via make test) starts once and describes in
// SSPR_TEST_* environment variables; and HAProxy or nginx, started in the foreground in front
// of a test's backend (ReverseProxy). Where integration tests are required (make test, CI=true)
// a missing server fails the test; elsewhere it skips. Browser starts a headless Chromium; Axe runs
// axe-core (WCAG 2.1 A and AA rules) on the page a browser test has loaded and fails listing
// every violation.
package testenv
