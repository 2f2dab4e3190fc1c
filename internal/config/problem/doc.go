// Package problem is the one type for "this configuration value is wrong": a Problem names the
// value's key path (directory.url, notify.email.smtp.from) and says what to fix; a List is the
// error that reports every problem at once. It is a leaf: the config package, the notify
// channels and the LDAP endpoint all report through it, and each block's keys are prefixed with
// the block's path by whoever holds the block (Under).
package problem
