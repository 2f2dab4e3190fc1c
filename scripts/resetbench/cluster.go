package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// startHAProxy runs Debian's haproxy in the foreground on addr in front of backends, round
// robin without stickiness, and returns the process (stopped by the caller, by its PID).
func startHAProxy(dir, addr string, backends []string) (*exec.Cmd, error) {
	bin := "/usr/sbin/haproxy"
	if _, err := os.Stat(bin); err != nil {
		if bin, err = exec.LookPath("haproxy"); err != nil {
			return nil, fmt.Errorf("-instances: haproxy is not installed (apt-get install haproxy)")
		}
	}
	var servers strings.Builder
	for i, b := range backends {
		fmt.Fprintf(&servers, "  server s%d %s\n", i+1, b)
	}
	conf := filepath.Join(dir, "haproxy.cfg")
	text := fmt.Sprintf(`global
  maxconn 8192
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
listen resetbench
  bind %s
  balance roundrobin
%s`, addr, servers.String())
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-db", "-f", conf)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	for range 200 {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return cmd, nil
		}
		time.Sleep(25 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	return nil, fmt.Errorf("haproxy does not listen on %s", addr)
}

// pgBackends lists the PIDs of the PostgreSQL server processes serving the database of dsn
// (password in PGPASSWORD), when the server runs on this machine; none otherwise.
func pgBackends(ctx context.Context, dsn, password string) []int {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil
	}
	if password != "" {
		cfg.Password = password
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)
	if err != nil {
		return nil
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return nil
	}
	var out []int
	for _, p := range pids {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d/stat", p)); err == nil {
			out = append(out, int(p))
		}
	}
	return out
}

// procLayout says how the metered PIDs are laid out: serves sspr serve processes, slapd,
// HAProxy when proxy, then PostgreSQL backends.
type procLayout struct {
	serves int
	proxy  bool
}

var layout = procLayout{serves: 1}

// sumCPU adds CPU times; unknown (negative) if any is.
func sumCPU(ds []time.Duration) time.Duration {
	var sum time.Duration
	for _, d := range ds {
		if d < 0 {
			return -1
		}
		sum += d
	}
	return sum
}

// otherCPU formats the CPU of HAProxy and PostgreSQL per unit, when metered.
func (p *phase) otherCPU() string {
	var s string
	if p.proxyCPU >= 0 {
		s += ", HAProxy " + p.cpuPer(p.proxyCPU)
	}
	if p.pgCPU >= 0 {
		s += ", PostgreSQL " + p.cpuPer(p.pgCPU)
	}
	return s
}

// pgPassword is PGPASSWORD in env.
func pgPassword(env []string) string {
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "PGPASSWORD="); ok {
			return v
		}
	}
	return ""
}
