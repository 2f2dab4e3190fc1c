package testenv_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sspr/sspr/internal/testenv"
)

// TestAxeViolations: the helper finds the violations a page has and none on a clean page,
// under a CSP that forbids every script (the script is injected, never served).
func TestAxeViolations(t *testing.T) {
	pages := map[string]string{
		"/clean": `<!doctype html><html lang="en"><head><title>Clean</title></head><body><main><h1>Clean</h1>
<label for="n">Name</label><input id="n" type="text"></main></body></html>`,
		"/broken": `<!doctype html><html><head><title>Broken</title></head><body><main><h1>Broken</h1>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text">
<p style="color:#aaa;background:#fff">low contrast</p></main></body></html>`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(pages[r.URL.Path]))
	}))
	defer srv.Close()
	ctx := testenv.Browser(t)
	tests := []struct {
		path string
		want []string // rule IDs that must be among the violations; none at all when empty
	}{
		{"/clean", nil},
		{"/broken", []string{"html-has-lang", "image-alt", "label", "color-contrast"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+tt.path)); err != nil {
				t.Fatal(err)
			}
			vs, err := testenv.AxeViolations(ctx)
			if err != nil {
				testenv.Unavailable(t, "%v", err)
			}
			var ids []string
			for _, v := range vs {
				ids = append(ids, v.ID)
			}
			if len(tt.want) == 0 && len(ids) > 0 {
				t.Fatalf("violations on a clean page: %v", vs)
			}
			for _, id := range tt.want {
				if !slices.Contains(ids, id) {
					t.Errorf("violation %s not found; got %v", id, ids)
				}
			}
			if tt.path == "/clean" {
				testenv.Axe(t, ctx, "clean page")
			}
		})
	}
}
