package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/spf13/cobra"
)

// defaultHealthURL is the container's own server (Containerfile: server.listen 0.0.0.0:8080).
const defaultHealthURL = "http://127.0.0.1:8080/healthz"

// newHealthCmd is the container's health check: the image has no shell and no curl.
func newHealthCmd() *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "health [URL]",
		Short: "Check a running sspr serve: exit 0 when URL (default " + defaultHealthURL + ") answers 2xx, else 1",
		Long: `GETs URL, by default ` + defaultHealthURL + ` (liveness: the process serves; /readyz also
checks the store, the outbox and the last sync), and exits 0 when it answers with a 2xx status,
1 otherwise (refused, timed out, another status). It reads no configuration: it is the container
image's HEALTHCHECK, where there is no shell and no curl. Redirects are not followed.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			target := defaultHealthURL
			if len(args) == 1 {
				target = args[0]
			}
			if u, err := url.Parse(target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return usagef("%q: an http(s) URL such as %s", target, defaultHealthURL)
			}
			status, err := checkHealth(cmd.Context(), target, timeout)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), status)
			return nil
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "how long to wait for the answer")
	return cmd
}

// checkHealth GETs target and returns its status line when it is 2xx, else an error.
func checkHealth(ctx context.Context, target string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return "", fmt.Errorf("health: %w", err)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", fmt.Errorf("health: %s answered %s", target, resp.Status)
	}
	return resp.Status, nil
}
