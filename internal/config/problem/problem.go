package problem

import (
	"errors"
	"fmt"
	"strings"
)

// Problem is one thing wrong with a configuration, at a key path such as directory.url.
type Problem struct {
	Key     string
	Line    int // 0 when unknown
	Message string
	// Kind, when set, is a sentinel error the problem is an instance of (errors.Is on the List
	// finds it), such as a refused plain-text connection.
	Kind error
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s (line %d): %s", p.Key, p.Line, p.Message)
	}
	return fmt.Sprintf("%s: %s", p.Key, p.Message)
}

// List is every problem of a configuration (or of one block of it) at once. A *List with
// problems is an error.
type List struct {
	File     string // the configuration file, when known
	Problems []Problem
}

// Add records a problem at key.
func (l *List) Add(key, format string, args ...any) {
	l.Problems = append(l.Problems, Problem{Key: key, Message: fmt.Sprintf(format, args...)})
}

// AddKind records a problem at key that is an instance of kind (a sentinel error).
func (l *List) AddKind(kind error, key, format string, args ...any) {
	l.Problems = append(l.Problems, Problem{Key: key, Message: fmt.Sprintf(format, args...), Kind: kind})
}

// Under records err's problems with prefix + "." before each key when err is a *List, or err
// itself at prefix otherwise. A nil err records nothing.
func (l *List) Under(prefix string, err error) {
	if err == nil {
		return
	}
	var sub *List
	if !errors.As(err, &sub) {
		l.Add(prefix, "%v", err)
		return
	}
	for _, p := range sub.Problems {
		if prefix != "" {
			p.Key = prefix + "." + p.Key
		}
		l.Problems = append(l.Problems, p)
	}
}

// Err returns l when it holds a problem, else nil.
func (l *List) Err() error {
	if l == nil || len(l.Problems) == 0 {
		return nil
	}
	return l
}

// Error says "config FILE: " (or "config: ") and every problem, one a line when there are more
// than one.
func (l *List) Error() string {
	var b strings.Builder
	if l.File != "" {
		fmt.Fprintf(&b, "config %s: ", l.File)
	} else {
		b.WriteString("config: ")
	}
	if len(l.Problems) == 1 {
		b.WriteString(l.Problems[0].String())
		return b.String()
	}
	fmt.Fprintf(&b, "%d problems:", len(l.Problems))
	for _, p := range l.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Unwrap returns the problems' kinds, for errors.Is.
func (l *List) Unwrap() []error {
	var kinds []error
	for _, p := range l.Problems {
		if p.Kind != nil {
			kinds = append(kinds, p.Kind)
		}
	}
	return kinds
}
