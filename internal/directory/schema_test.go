package directory

import (
	"strconv"
	"testing"
	"time"
)

func TestADPasswordExpiry(t *testing.T) {
	at := time.Date(2026, 12, 24, 10, 30, 0, 0, time.UTC)
	ft := (at.Unix() + filetimeUnixOffset) * 10_000_000
	tests := []struct {
		name      string
		uac       string
		expiry    string
		wantAt    time.Time
		wantNever bool
	}{
		{"expires", "512", itoa(ft), at, false},
		{"never (0x7FFFFFFFFFFFFFFF)", "512", "9223372036854775807", time.Time{}, true},
		{"never (DONT_EXPIRE_PASSWORD)", "66048", itoa(ft), time.Time{}, true},
		{"must change now", "512", "0", time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{"not returned", "512", "", time.Time{}, false},
		{"garbage", "512", "soon", time.Time{}, false},
	}
	s := Schema{Kind: ActiveDirectory, Mapping: DefaultMapping(ActiveDirectory)}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vals := map[string]string{
				"objectGUID": "0123456789abcdef", "userPrincipalName": "a@example.com",
				"userAccountControl": tt.uac, "msDS-UserPasswordExpiryTimeComputed": tt.expiry,
			}
			r, rej := s.Record("cn=a", func(a string) [][]byte {
				if v := vals[a]; v != "" {
					return [][]byte{[]byte(v)}
				}
				return nil
			})
			if rej != nil {
				t.Fatal(rej.Reason)
			}
			if !r.PasswordExpiresAt.Equal(tt.wantAt) || r.PasswordNeverExpires != tt.wantNever {
				t.Errorf("expiry %v never %v, want %v %v", r.PasswordExpiresAt, r.PasswordNeverExpires, tt.wantAt, tt.wantNever)
			}
			if !r.AccountEnabled {
				t.Error("account disabled")
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
