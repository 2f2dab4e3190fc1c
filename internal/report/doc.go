// Package report computes what administrators read: the readiness report (for every user, which
// reset methods work today without registration, and what to fix where none does), with totals
// and percentages of enabled users.
package report
