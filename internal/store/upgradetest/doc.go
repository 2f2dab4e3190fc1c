// Package upgradetest holds the test that stores written by an earlier release open with this
// build: testdata has a SQLite store and a PostgreSQL dump that the sspr of commit f316a55 wrote
// (testdata/gen/generate.sh says how), and the test migrates them and reads every kind of row
// back. There is no code here, only that test.
package upgradetest
