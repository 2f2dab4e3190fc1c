// Package benchrun holds what every benchmark under scripts/ reports the same way, so that a
// figure can be trusted on a shared machine: the load average before and after each run
// ([Load]), each run's figures and their median and range over at least three runs ([Series]),
// and the CPU time a process spent, read from /proc ([CPU]), which does not depend on what else
// the machine is doing.
package benchrun
