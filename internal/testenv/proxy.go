package testenv

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ReverseProxy is a reverse proxy started in the foreground for one test and stopped, by its
// PID, when the test ends.
type ReverseProxy struct {
	// Addr is where it listens: 127.0.0.1 and a free port.
	Addr string
	// PID is the process started; it is the only one ever signalled.
	PID int
	// Log is the file its standard output and error go to.
	Log string
}

// HAProxy starts Debian's haproxy (-db: foreground, no daemon) on 127.0.0.1 in front of the
// backend host:port; lines go into its listen section ("option forwardfor", "source
// 127.0.0.3"). Unavailable when haproxy is not installed (package haproxy).
func HAProxy(t testing.TB, backend string, lines ...string) *ReverseProxy {
	t.Helper()
	return runProxy(t, "haproxy", "haproxy.cfg", func(dir, addr string) string {
		return fmt.Sprintf(`global
  maxconn 64
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
listen sspr_test
  bind %s
  %s
  server backend %s
`, addr, strings.Join(lines, "\n  "), backend)
	}, func(dir, conf string) []string { return []string{"-db", "-f", conf} })
}

// Nginx starts Debian's nginx ('daemon off;', one process, its own prefix directory under
// t.TempDir()) on 127.0.0.1 in front of the backend host:port; directives go into its
// location / ("proxy_bind 127.0.0.3;"). Unavailable when nginx is not installed (package nginx).
func Nginx(t testing.TB, backend string, directives ...string) *ReverseProxy {
	t.Helper()
	return runProxy(t, "nginx", "nginx.conf", func(dir, addr string) string {
		return fmt.Sprintf(`daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log info;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  server {
    listen %[2]s;
    location / {
      proxy_pass http://%[3]s;
      %[4]s
    }
  }
}
`, dir, addr, backend, strings.Join(directives, "\n      "))
	}, func(dir, conf string) []string {
		return []string{"-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", conf}
	})
}

// runProxy writes the configuration conf(dir, addr) to file in a new directory and starts the
// daemon name with args(dir, path of the configuration) in the foreground.
func runProxy(t testing.TB, name, file string, conf func(dir, addr string) string, args func(dir, conf string) []string) *ReverseProxy {
	t.Helper()
	bin := sbin(name)
	if bin == "" {
		Unavailable(t, "%s not installed (Debian: apt-get install %s)", name, name)
	}
	dir := t.TempDir()
	addr := freeAddr(t)
	path := filepath.Join(dir, file)
	if err := os.WriteFile(path, []byte(conf(dir, addr)), 0o600); err != nil {
		t.Fatal(err)
	}
	return startProxy(t, dir, addr, bin, args(dir, path)...)
}

// sbin finds a daemon in the sbin directories (not in a non-root PATH) or PATH.
func sbin(name string) string {
	for _, d := range []string{"/usr/sbin", "/usr/local/sbin", "/sbin"} {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return ""
}

// freeAddr returns 127.0.0.1 and a port that was free a moment ago.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// startProxy runs bin in the foreground, waits until addr accepts connections and stops the
// process by its PID when the test ends (SIGTERM, SIGKILL after 10 s).
func startProxy(t testing.TB, dir, addr, bin string, args ...string) *ReverseProxy {
	t.Helper()
	logPath := filepath.Join(dir, "proxy.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	p := &ReverseProxy{Addr: addr, PID: cmd.Process.Pid, Log: logPath}
	t.Logf("%s started, pid %d, on %s", filepath.Base(bin), p.PID, addr)
	exited := make(chan struct{}) // closed when the process has been waited for
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		select {
		case <-exited:
			return
		default:
		}
		_ = cmd.Process.Signal(syscall.SIGTERM) // cmd.Process is p.PID, never anything else
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-exited:
			out, _ := os.ReadFile(logPath)
			t.Fatalf("%s exited before listening on %s: %v\n%s", bin, addr, waitErr, out)
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			return p
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(logPath)
			t.Fatalf("%s does not listen on %s: %v\n%s", bin, addr, err, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
