package ldif

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Limits that keep memory bounded whatever the file holds.
const (
	maxLine    = 1 << 20  // one physical line
	maxLogical = 16 << 20 // one unfolded line (a long value folded over many lines)
	maxEntry   = 64 << 20 // all logical lines of one entry
)

// entry is the current entry. Only the wanted attributes are kept; their values point into
// arena, which is reused by the next entry.
type entry struct {
	line   int    // line of the dn
	dn     []byte // in arena
	arena  []byte
	groups [][][]byte // groups[i]: values of the wanted attribute i
	attrs  int        // attribute lines seen
	size   int
}

func (e *entry) reset() {
	e.line, e.dn, e.arena, e.attrs, e.size = 0, nil, e.arena[:0], 0, 0
	for i := range e.groups {
		e.groups[i] = e.groups[i][:0]
	}
}

// parser reads entries one at a time. names are the attributes kept (compared
// case-insensitively, options such as ";binary" stripped).
type parser struct {
	sc    *bufio.Scanner
	names []string
	e     entry

	// physical lines
	line         int    // number of the last line read
	cur          []byte // the line read ahead, valid while has is true
	curLine      int
	has          bool
	unterminated bool // the last line read had no line break: the file was cut

	logical []byte // the current unfolded line
	started bool   // a record (version or entry) was seen
	scratch []byte // for base64 values that are checked but not kept
}

func newParser(r io.Reader, names []string) *parser {
	p := &parser{names: names}
	p.e.groups = make([][][]byte, len(names))
	p.sc = bufio.NewScanner(r)
	p.sc.Buffer(make([]byte, 0, 64<<10), maxLine+2) // + CR LF
	p.sc.Split(p.split)
	return p
}

// split is bufio.ScanLines, except that it records a last line without a line break.
func (p *parser) split(data []byte, atEOF bool) (int, []byte, error) {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		return i + 1, bytes.TrimSuffix(data[:i], []byte{'\r'}), nil
	}
	if atEOF && len(data) > 0 {
		p.unterminated = true
		return len(data), bytes.TrimSuffix(data, []byte{'\r'}), nil
	}
	return 0, nil, nil
}

func (p *parser) errorf(line int, kind error, format string, args ...any) error {
	return &LineError{Line: line, Err: kind, Msg: fmt.Sprintf(format, args...)}
}

// advance reads the next physical line into cur. It returns false at the end of the file.
func (p *parser) advance() (bool, error) {
	if !p.sc.Scan() {
		if err := p.sc.Err(); err != nil {
			if errors.Is(err, bufio.ErrTooLong) {
				return false, p.errorf(p.line+1, ErrSyntax, "line longer than %d bytes", maxLine)
			}
			return false, fmt.Errorf("line %d: %w", p.line+1, err)
		}
		return false, nil
	}
	p.line++
	p.cur, p.curLine, p.has = p.sc.Bytes(), p.line, true
	if len(p.cur) > maxLine {
		return false, p.errorf(p.line, ErrSyntax, "line longer than %d bytes", maxLine)
	}
	if p.unterminated {
		return false, p.errorf(p.line, ErrSyntax, "the file ends without a line break: it was cut short (incomplete copy or export?)")
	}
	return true, nil
}

// next returns the next logical line (continuations joined, comments dropped) and its line
// number; a blank line is returned as a nil slice. It returns io.EOF at the end of the file.
func (p *parser) next() ([]byte, int, error) {
	for {
		if !p.has {
			ok, err := p.advance()
			if err != nil {
				return nil, 0, err
			}
			if !ok {
				return nil, 0, io.EOF
			}
		}
		first, start := p.cur, p.curLine
		p.has = false
		switch {
		case len(first) == 0:
			return nil, start, nil
		case first[0] == ' ':
			return nil, 0, p.errorf(start, ErrSyntax, "continuation line (starting with a space) without a line to continue")
		}
		comment := first[0] == '#'
		if !comment {
			p.logical = append(p.logical[:0], first...)
		}
		for {
			ok, err := p.advance()
			if err != nil {
				return nil, 0, err
			}
			if !ok {
				break
			}
			if len(p.cur) == 0 || p.cur[0] != ' ' {
				break // read ahead: the next logical line
			}
			p.has = false
			if !comment {
				if len(p.logical)+len(p.cur)-1 > maxLogical {
					return nil, 0, p.errorf(start, ErrSyntax, "folded line longer than %d bytes", maxLogical)
				}
				p.logical = append(p.logical, p.cur[1:]...)
			}
		}
		if !comment {
			return p.logical, start, nil
		}
	}
}

// valueKind says how a value is written after the attribute description.
type valueKind int

const (
	valuePlain  valueKind = iota + 1 // attr: value
	valueBase64                      // attr:: base64
	valueURL                         // attr:< url
)

// splitLine parses "description: value". It returns the description (with options), the
// attribute name without options, the kind and the raw value.
func (p *parser) splitLine(l []byte, n int) (desc, name []byte, kind valueKind, value []byte, err error) {
	i := bytes.IndexByte(l, ':')
	if i < 0 {
		return nil, nil, 0, nil, p.errorf(n, ErrSyntax, "line has no colon: expected \"attribute: value\"")
	}
	desc, value = l[:i], l[i+1:]
	if !validDescription(desc) {
		return nil, nil, 0, nil, p.errorf(n, ErrSyntax, "invalid attribute name %q", truncate(desc))
	}
	name = desc
	if j := bytes.IndexByte(desc, ';'); j >= 0 {
		name = desc[:j]
	}
	kind = valuePlain
	if len(value) > 0 {
		switch value[0] {
		case ':':
			kind, value = valueBase64, value[1:]
		case '<':
			kind, value = valueURL, value[1:]
		}
	}
	value = bytes.TrimLeft(value, " ")
	return desc, name, kind, value, nil
}

// validDescription accepts an attribute description: a name or OID and options, letters,
// digits, '-', '.', '_' and ';'.
func validDescription(d []byte) bool {
	if len(d) == 0 || d[0] == ';' || d[0] == '-' {
		return false
	}
	for _, c := range d {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '.', c == '_', c == ';':
		default:
			return false
		}
	}
	return true
}

// decode appends the value to dst, decoding base64.
func (p *parser) decode(dst []byte, kind valueKind, v []byte, n int, desc []byte) ([]byte, error) {
	switch kind {
	case valueURL:
		return nil, p.errorf(n, ErrUnsupported, "attribute %s: values read from a URL (\":<\") are not supported; export the value inline", desc)
	case valueBase64:
		start := len(dst)
		need := base64.StdEncoding.DecodedLen(len(v))
		dst = append(dst, make([]byte, need)...)
		m, err := base64.StdEncoding.Decode(dst[start:], v)
		if err != nil {
			return nil, p.errorf(n, ErrSyntax, "attribute %s: value is not valid base64: %v", desc, err)
		}
		return dst[:start+m], nil
	default:
		return append(dst, v...), nil
	}
}

// index returns the position of a wanted attribute, or -1.
func (p *parser) index(name []byte) int {
	for i, w := range p.names {
		if equalFold(name, w) {
			return i
		}
	}
	return -1
}

// entry reads the next entry into p.e. It returns false at the end of the file.
func (p *parser) entry() (bool, error) {
	p.e.reset()
	// Skip blank lines and the version line; the first line of an entry is its dn.
	for {
		l, n, err := p.next()
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if l == nil {
			continue
		}
		desc, name, kind, v, err := p.splitLine(l, n)
		if err != nil {
			return false, err
		}
		first := !p.started
		p.started = true
		if first && equalFold(name, "version") {
			if kind != valuePlain || string(v) != "1" {
				return false, p.errorf(n, ErrUnsupported, "LDIF version %q is not supported (want version: 1)", truncate(v))
			}
			continue
		}
		if !equalFold(desc, "dn") {
			return false, p.errorf(n, ErrSyntax, "entry starts with %q, want \"dn:\" (missing blank line before it, or not an LDIF file?)", truncate(desc))
		}
		p.e.arena, err = p.decode(p.e.arena, kind, v, n, desc)
		if err != nil {
			return false, err
		}
		p.e.dn, p.e.line, p.e.size = p.e.arena, n, len(l)
		break
	}
	for {
		l, n, err := p.next()
		if err == io.EOF || (err == nil && l == nil) {
			break
		}
		if err != nil {
			return false, err
		}
		if p.e.size += len(l); p.e.size > maxEntry {
			return false, p.errorf(p.e.line, ErrSyntax, "entry larger than %d bytes", maxEntry)
		}
		desc, name, kind, v, err := p.splitLine(l, n)
		if err != nil {
			return false, err
		}
		switch {
		case equalFold(desc, "dn"):
			return false, p.errorf(n, ErrSyntax, "second \"dn:\" in the entry that starts at line %d (missing blank line between entries?)", p.e.line)
		case equalFold(desc, "changetype"):
			switch t := strings.ToLower(string(v)); {
			case kind != valuePlain:
				return false, p.errorf(n, ErrSyntax, "changetype must be written as plain text")
			case t == "add":
				continue // ldifde writes it on every exported entry
			case t == "modify" || t == "delete" || t == "modrdn" || t == "moddn":
				return false, p.errorf(n, ErrUnsupported, "changetype: %s: this is a change file, not an export of the directory", t)
			default:
				return false, p.errorf(n, ErrSyntax, "unknown changetype %q", truncate(v))
			}
		case equalFold(desc, "control"):
			return false, p.errorf(n, ErrUnsupported, "control: lines belong to change records, not to an export of the directory")
		}
		p.e.attrs++
		if i := p.index(name); i >= 0 {
			start := len(p.e.arena)
			if p.e.arena, err = p.decode(p.e.arena, kind, v, n, desc); err != nil {
				return false, err
			}
			p.e.groups[i] = append(p.e.groups[i], p.e.arena[start:len(p.e.arena):len(p.e.arena)])
			continue
		}
		// Not kept, but still checked: a malformed file aborts the read.
		if p.scratch, err = p.decode(p.scratch[:0], kind, v, n, desc); err != nil {
			return false, err
		}
	}
	if p.e.attrs == 0 {
		return false, p.errorf(p.e.line, ErrSyntax, "entry has a dn and no attributes (file cut short?)")
	}
	return true, nil
}

// values returns the values of an attribute of the current entry. The slices are valid
// until the next entry is read.
func (p *parser) values(attr string) [][]byte {
	if attr == "" {
		return nil
	}
	if i := p.indexString(attr); i >= 0 && len(p.e.groups[i]) > 0 {
		return p.e.groups[i]
	}
	return nil
}

func (p *parser) indexString(attr string) int {
	for i, w := range p.names {
		if strings.EqualFold(attr, w) {
			return i
		}
	}
	return -1
}

// equalFold compares an ASCII attribute name with s, ignoring case, without allocating.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c, d := b[i], s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if 'A' <= d && d <= 'Z' {
			d += 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}

// truncate shortens a value quoted in an error message.
func truncate(b []byte) string {
	const n = 40
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
