package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestMetricsOffThePublicListener: /metrics is not served on server.listen (its counters move
// for real users and not for decoys), only on server.metricsListen.
func TestMetricsOffThePublicListener(t *testing.T) {
	addr, metrics := serveWithMetrics(t)

	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("public listener /metrics: %d, want 404", resp.StatusCode)
	}
	resp, err = http.Get("http://" + metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "go_goroutines") {
		t.Errorf("metrics listener: %d\n%.300s", resp.StatusCode, body)
	}
	if v := resp.Header.Get("Server-Timing"); v != "" {
		t.Errorf("Server-Timing %q", v)
	}
}
