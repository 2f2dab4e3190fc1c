package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckServe: what `sspr config validate` refuses (Load's problems and CheckServe's) and
// what it only warns about, one configuration change per row.
func TestCheckServe(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // umask aside
			t.Fatal(err)
		}
		return p
	}
	pw, _ := secretFiles(t)
	good := write("secret", strings.Repeat("k", 48)+"\n", 0o600)
	short := write("short", "only-20-bytes-secret\n", 0o600)
	open := write("open", strings.Repeat("k", 48)+"\n", 0o644)
	smtpPW := write("smtp-pw", "smtp-Pa55\n", 0o600)
	token := write("token", "tw-T0ken\n", 0o600)

	base := func(secretFile, publicURL, notify string) string {
		return fmt.Sprintf(`directory:
  type: openldap
  url: ldaps://127.0.0.1:636
  bindDN: cn=admin,dc=example,dc=com
  bindPasswordFile: %s
  baseDNs: ["dc=example,dc=com"]
server:
  listen: 0.0.0.0:8080
  publicURL: %s
  secretFile: %s
%s`, pw, publicURL, secretFile, notify)
	}
	smtpBlock := "notify:\n  email:\n    smtp:\n      host: smtp.example.com\n      username: sspr\n      passwordFile: " + smtpPW + "\n      from: no-reply@example.com\n"
	twilioBlock := "  sms:\n    twilio:\n      accountSID: AC0123\n      authTokenFile: " + token + "\n      from: \"+14255550199\"\n"
	voiceBlock := "  voice:\n    webhook:\n      url: https://gw.example.com/voice\n"
	all := smtpBlock + twilioBlock + voiceBlock
	const https = "https://sspr.example.com"

	tests := []struct {
		name     string
		yaml     string
		problems []string // substrings of the problems, "" none
		warnings []string
	}{
		{"every channel configured", base(good, https, all), nil, nil},
		{"notify.file serves every channel", base(good, https, "notify:\n  file: "+filepath.Join(dir, "outbox.jsonl")+"\n"), nil, nil},
		{"console serves every channel", base(good, https, "notify:\n  console: true\n"), nil, nil},
		{"http on the loopback", strings.Replace(base(good, "http://127.0.0.1:8080", all), "0.0.0.0", "127.0.0.1", 1), nil, nil},
		{"no secret file", base("", https, all), []string{"server.secretFile: required"}, nil},
		{"missing secret file", base(filepath.Join(dir, "nope"), https, all), []string{"server.secretFile: stat", "no such file"}, nil},
		{"short secret", base(short, https, all), []string{"server.secretFile: the server secret has 20 bytes; at least 32"}, nil},
		{"secret readable by others", base(open, https, all), nil, []string{"server.secretFile: " + open + " is readable by others than its owner (mode 0644)"}},
		{"smtp password readable by others", base(good, https, strings.Replace(all, smtpPW, open, 1)), nil, []string{"notify.email.smtp.passwordFile: " + open + " is readable by others than its owner (mode 0644)"}},
		{"http to the network", base(good, "http://sspr.example.com", all), []string{"server.publicURL: \"http://sspr.example.com\": use https://"}, nil},
		{"methods without a channel", base(good, https, ""), []string{"notify.email: reset.methods enables email but no channel", "notify.sms: reset.methods enables sms", "notify.voice: reset.methods enables voice"}, nil},
		{"one method without a channel", base(good, https, smtpBlock+twilioBlock), []string{"notify.voice: reset.methods enables voice but no channel delivers it"}, nil},
		{"disabled method needs no channel", base(good, https, smtpBlock+"reset:\n  methods: [email, questions]\n"), nil, nil},
		{"smtp without from", base(good, https, strings.Replace(all, "      from: no-reply@example.com\n", "", 1)), []string{"notify.email.smtp.from: required"}, nil},
		{"smtp without host", base(good, https, strings.Replace(all, "      host: smtp.example.com\n", "", 1)), []string{"notify.email.smtp.host: required"}, nil},
		{"smtp username without password", base(good, https, strings.Replace(all, "      passwordFile: "+smtpPW+"\n", "", 1)), []string{"notify.email.smtp.passwordFile: required with username"}, nil},
		{"smtp password file unreadable", base(good, https, strings.Replace(all, smtpPW, filepath.Join(dir, "nope"), 1)), []string{"notify.email.smtp.passwordFile: cannot read secret file"}, nil},
		{"twilio without token", base(good, https, strings.Replace(all, "      authTokenFile: "+token+"\n", "", 1)), []string{"notify.sms.twilio.authTokenFile: required"}, nil},
		{"debug timing", strings.Replace(base(good, https, all), "server:\n", "server:\n  debugTiming: true\n", 1), nil, []string{"server.debugTiming: on: every response carries Server-Timing"}},
		{"metrics on the public listener", strings.Replace(base(good, https, all), "server:\n", "server:\n  metricsListen: 0.0.0.0:8080\n", 1), []string{"server.metricsListen: \"0.0.0.0:8080\" is server.listen"}, []string{"not a loopback"}},
		{"metrics beyond the loopback", strings.Replace(base(good, https, all), "server:\n", "server:\n  metricsListen: 0.0.0.0:9464\n", 1), nil, []string{"server.metricsListen: 0.0.0.0:9464 is not a loopback address"}},
		{"no metrics", strings.Replace(base(good, https, all), "server:\n", "server:\n  metricsListen: none\n", 1), nil, nil},
		{"notifications without an email channel", base(good, https, "notify:\n"+twilioBlock+"reset:\n  methods: [sms]\nnotifications:\n  administrators: [secops@example.com]\n"),
			[]string{"notify.email: notifications.administrators are told by email but no channel delivers it"}, nil},
		{"notifications by smtp", base(good, https, all+"notifications:\n  administrators: [secops@example.com]\n"), nil, nil},
		{"webhook without url", base(good, https, strings.Replace(all, "      url: https://gw.example.com/voice\n", "      headerName: X-Key\n", 1)), []string{"notify.voice.webhook.url"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			c, err := Parse([]byte(tt.yaml), nil)
			var ce *Error
			switch {
			case errors.As(err, &ce):
				for _, p := range ce.Problems {
					got = append(got, p.String())
				}
			case err != nil:
				t.Fatal(err)
			}
			ps, ws := c.CheckServe()
			for _, p := range ps {
				got = append(got, p.String())
			}
			check := func(what string, got, want []string) {
				t.Helper()
				text := strings.Join(got, "\n")
				if len(want) == 0 && len(got) > 0 {
					t.Errorf("unexpected %s:\n%s", what, text)
				}
				for _, w := range want {
					if !strings.Contains(text, w) {
						t.Errorf("%s\n%s\ndo not contain %q", what, text, w)
					}
				}
				if strings.Contains(text, "smtp-Pa55") || strings.Contains(text, "tw-T0ken") || strings.Contains(text, "kkkkkkkk") {
					t.Errorf("%s show a secret:\n%s", what, text)
				}
			}
			check("problems", got, tt.problems)
			var warned []string
			for _, w := range ws {
				warned = append(warned, w.String())
			}
			check("warnings", warned, tt.warnings)
		})
	}
}

// TestEndpointKeys: the directory's connection settings are the endpoint's, with their two
// timeouts; the former single timeout is refused with a pointer to its successors.
func TestEndpointKeys(t *testing.T) {
	pw, _ := secretFiles(t)
	base := "directory:\n  type: openldap\n  url: ldaps://127.0.0.1:636\n  bindDN: cn=admin,dc=example,dc=com\n  bindPasswordFile: " + pw + "\n  baseDNs: [\"dc=example,dc=com\"]\n"
	c, err := Parse([]byte(base+"  operationTimeout: 5s\n  callTimeout: 7s\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := c.Directory; d.OperationTimeout.Seconds() != 5 || d.CallTimeout.Seconds() != 7 || d.BindPassword.Reveal() != "s3cret-Pa55" {
		t.Errorf("endpoint = %+v", d.Endpoint)
	}
	if c, err = Parse([]byte(base), nil); err != nil || c.Directory.OperationTimeout == 0 || c.Directory.CallTimeout == 0 {
		t.Errorf("defaults: %+v, %v", c.Directory.Endpoint, err)
	}
	for yaml, want := range map[string]string{
		base + "  timeout: 30s\n":     "directory.timeout (line 7): unknown key",
		base + "  callTimeout: -1s\n": "directory.callTimeout: -1s must not be negative",
		strings.Replace(base, "  bindDN: cn=admin,dc=example,dc=com\n", "", 1): "directory.bindDN: required",
	} {
		if _, err := Parse([]byte(yaml), nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse = %v, want %q", err, want)
		}
	}
}
