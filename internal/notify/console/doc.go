// Package console is a Channel that prints each message, code included, as a readable block
// to a writer (standard output in the demo). For demos and development only: it has no
// configuration and shows codes and destinations in clear.
package console
