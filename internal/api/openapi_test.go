package api

import (
	"encoding/json"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestOpenAPIMatchesRoutes checks that every operation of the OpenAPI document is served by the
// API's mux under the same pattern, and that every registered route is documented.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi %q, want 3.x", doc.OpenAPI)
	}
	a := New(nil, nil, nil, Config{})
	var documented []string
	for path, item := range doc.Paths {
		for method := range item {
			if method == "parameters" || method == "summary" || method == "description" {
				continue
			}
			m := strings.ToUpper(method)
			documented = append(documented, m+" "+path)
			// The mux must route a request for this operation to exactly this pattern.
			req := httptest.NewRequest(m, strings.ReplaceAll(path, "{upn}", "someone@example.com"), nil)
			if _, pat := a.mux.Handler(req); pat != m+" "+path {
				t.Errorf("documented %s %s is served by %q", m, path, pat)
			}
		}
	}
	var served []string
	for _, r := range a.Routes() {
		served = append(served, r.Method+" "+r.Pattern)
	}
	sort.Strings(documented)
	sort.Strings(served)
	if !slices.Equal(documented, served) {
		t.Errorf("documented routes:\n%s\nserved routes:\n%s", strings.Join(documented, "\n"), strings.Join(served, "\n"))
	}
}

// TestOpenAPIReferences checks that every $ref resolves and that the error codes documented are
// the ones the server uses.
func TestOpenAPIReferences(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				var cur any = doc
				for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
					m, _ := cur.(map[string]any)
					cur = m[part]
				}
				if cur == nil {
					t.Errorf("unresolved $ref %s", ref)
				}
			}
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(doc)

	var codes struct {
		Components struct {
			Schemas struct {
				Error struct {
					Properties struct {
						Error struct {
							Properties struct {
								Code struct {
									Enum []string `json:"enum"`
								} `json:"code"`
							} `json:"properties"`
						} `json:"error"`
					} `json:"properties"`
				} `json:"Error"`
			} `json:"schemas"`
		} `json:"components"`
	}
	json.Unmarshal(OpenAPI, &codes)
	if got := codes.Components.Schemas.Error.Properties.Error.Properties.Code.Enum; !slices.Equal(got, errorCodes) {
		t.Errorf("documented error codes %v, server's %v", got, errorCodes)
	}
}

func TestIfMatch(t *testing.T) {
	tests := []struct {
		header  string
		version int64
		tags    int
		status  int
	}{
		{"", 0, 0, 428},
		{"*", 0, 0, 0},
		{`"3"`, 3, 1, 0},
		{`"3", "4"`, 3, 2, 0},
		{`W/"3"`, 0, 0, 412},
		{`W/"3", "5"`, 5, 1, 0},
		{`3`, 0, 0, 400},
		{`"x"`, 0, 0, 400},
	}
	for _, tc := range tests {
		r := httptest.NewRequest("PATCH", "/api/v1/users/a", nil)
		if tc.header != "" {
			r.Header.Set("If-Match", tc.header)
		}
		v, tags, status, _ := ifMatch(r)
		if v != tc.version || len(tags) != tc.tags || status != tc.status {
			t.Errorf("If-Match %s: %d %v %d, want %d (%d tags) %d", tc.header, v, tags, status, tc.version, tc.tags, tc.status)
		}
	}
}

var testNow = time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)

func TestTokens(t *testing.T) {
	secret, tok, err := NewToken("ops-team", []string{"SYNC,users:read", "sync"}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) != len(TokenPrefix)+43 || !slices.Equal(tok.Scopes, []string{ScopeUsersRead, ScopeSync}) {
		t.Errorf("token %q %+v", secret, tok)
	}
	if string(tok.Hash) != string(HashToken(secret)) || strings.Contains(string(tok.Hash), secret) {
		t.Error("hash")
	}
	for _, bad := range []struct {
		name   string
		scopes []string
	}{{"", []string{"sync"}}, {"a b", []string{"sync"}}, {"ok", nil}, {"ok", []string{"admin"}}} {
		if _, _, err := NewToken(bad.name, bad.scopes, testNow); err == nil {
			t.Errorf("NewToken(%q, %v) accepted", bad.name, bad.scopes)
		}
	}
}
