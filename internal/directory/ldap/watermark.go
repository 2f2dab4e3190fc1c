package ldap

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/sspr/sspr/internal/directory"
)

// watermark is where a delta read starts; Result.Watermark is its JSON.
//
//	AD / Samba: the DC's highestCommittedUSN and invocationId at the start of the read that
//	            wrote it; the next delta reads uSNChanged >= USN+1 on the same DC (another DC or
//	            a restored one has another invocationId: then a full read). At is when that read
//	            started: deletions are read from tombstones only while they surely still exist.
//	OpenLDAP:   a modifyTimestamp: the highest one seen, minus the read's duration and a
//	            minute, so that entries changed while the read ran are read again; with a
//	            scope group, a fingerprint of its member set (changed: a full read). With the
//	            syncprov overlay, also the RFC 4533 cookie of each base DN (by normalized DN):
//	            the next delta is a content synchronization from it.
type watermark struct {
	V               int            `json:"v"`
	Kind            directory.Kind `json:"kind"`
	USN             int64          `json:"usn,omitempty"`
	InvocationID    string         `json:"invocationId,omitempty"`
	At              int64          `json:"at,omitempty"` // Unix seconds
	ModifyTimestamp string         `json:"modifyTimestamp,omitempty"`
	// Members fingerprints the member set of an OpenLDAP scope group.
	Members string            `json:"members,omitempty"`
	Cookies map[string]string `json:"cookies,omitempty"`
}

const watermarkVersion = 1

func (r *Reader) parseWatermark(s string) (*watermark, error) {
	var w watermark
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("%w: not an LDAP watermark: %v", directory.ErrWatermark, err)
	}
	switch {
	case w.V != watermarkVersion:
		return nil, fmt.Errorf("%w: LDAP watermark version %d, want %d", directory.ErrWatermark, w.V, watermarkVersion)
	case w.Kind != r.cfg.Kind:
		return nil, fmt.Errorf("%w: watermark of a %s directory, this is %s", directory.ErrWatermark, w.Kind, r.cfg.Kind)
	case w.Kind == directory.ActiveDirectory && (w.USN <= 0 || w.InvocationID == ""):
		return nil, fmt.Errorf("%w: AD watermark without USN or invocationId", directory.ErrWatermark)
	case w.Kind == directory.OpenLDAP:
		if _, err := parseGeneralizedTime([]byte(w.ModifyTimestamp)); err != nil {
			return nil, fmt.Errorf("%w: OpenLDAP watermark: %v", directory.ErrWatermark, err)
		}
		for base, c := range w.Cookies {
			if err := checkCookie(c); err != nil {
				return nil, fmt.Errorf("%w: OpenLDAP watermark, cookie of %s: %v", directory.ErrWatermark, base, err)
			}
		}
	}
	return &w, nil
}

func (w watermark) String() string {
	b, _ := json.Marshal(w)
	return string(b)
}

const generalizedTimeLayout = "20060102150405Z"

// parseGeneralizedTime reads the generalized times directories write: YYYYMMDDHHMMSS, an
// optional fraction, and Z or an offset.
func parseGeneralizedTime(b []byte) (time.Time, error) {
	s := string(b)
	for _, layout := range []string{"20060102150405Z0700", "20060102150405.999999999Z0700", "20060102150405,999999999Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a generalized time", s)
}

func formatGeneralizedTime(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format(generalizedTimeLayout)
}

// maxTime tracks the highest generalized time seen, comparing bytes when both have the
// usual fixed format (no parse per entry).
type maxTime struct {
	raw []byte
	t   time.Time
}

func (m *maxTime) see(v []byte) {
	if len(v) == 0 {
		return
	}
	if len(m.raw) == len(v) && bytes.Compare(v, m.raw) <= 0 && v[len(v)-1] == 'Z' && m.raw[len(m.raw)-1] == 'Z' {
		return
	}
	t, err := parseGeneralizedTime(v)
	if err != nil || (!m.t.IsZero() && !t.After(m.t)) {
		return
	}
	m.raw = append(m.raw[:0], v...)
	m.t = t
}
