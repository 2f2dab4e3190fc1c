package transport

import (
	"strings"
	"testing"
)

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST.": true, "127.0.0.1": true, "127.1.2.3": true, "::1": true, "[::1]": true,
		"": false, "example.com": false, "10.0.0.1": false, "localhost.example.com": false, "0.0.0.0": false,
	} {
		if got := IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestCheckURL(t *testing.T) {
	tests := []struct{ url, want string }{
		{"https://api.example.com", ""},
		{"http://127.0.0.1:8080/x", ""},
		{"http://localhost/x", ""},
		{"http://api.example.com", "allowed only towards 127.0.0.1"},
		{"ftp://api.example.com", `scheme "ftp"`},
		{"https://user:pw@api.example.com", "credentials"},
		{"/relative", "no host"},
		{"https://a b", "not a URL"},
	}
	for _, tt := range tests {
		err := CheckURL(tt.url)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("CheckURL(%q) = %v, want %q", tt.url, err, tt.want)
		}
	}
}

func TestSnippetAndRetryable(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"code":21211,"message":"Invalid 'To' Phone Number","status":400}`, "code 21211: Invalid 'To' Phone Number"},
		{`{"error":"bad"}`, "bad"},
		{"line1\r\nline2\x00", "line1 line2"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Snippet([]byte(tt.body)); got != tt.want {
			t.Errorf("Snippet(%q) = %q, want %q", tt.body, got, tt.want)
		}
	}
	if got := Snippet([]byte(strings.Repeat("é", 500))); len(got) > 310 || !strings.HasSuffix(got, "…") {
		t.Errorf("long snippet %q", got)
	}
	for status, want := range map[int]bool{400: false, 401: false, 404: false, 408: true, 429: true, 500: true, 503: true} {
		if Retryable(status) != want {
			t.Errorf("Retryable(%d) != %v", status, want)
		}
	}
}
