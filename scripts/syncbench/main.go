// Command syncbench measures sspr's directory sync against its baseline, in one run:
//
//	baseline        ldapsearch -E pr=1000/noprompt dumping every user to /dev/null
//	full            sspr sync into a fresh SQLite store
//	no-change       sspr sync --full again (nothing changed)
//	delta-100       sspr sync after ldapmodify changed 100 users: RFC 4533 content
//	                synchronization (the slapd runs the syncprov overlay)
//	delta-100 enum  the same on a second slapd without syncprov: changed users by
//	                modifyTimestamp, then an enumeration of every user's anchor
//
// for each user count given (default 100000 and 300000), and the peak RSS of every sspr run, so
// that "flat from 100k to 300k" can be read off. It starts its own throwaway slapd on 127.0.0.1
// and stops it. Run it with `make bench-sync` (which builds bin/sspr first).
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sspr/sspr/internal/slapd"
)

const (
	suffix = "dc=bench,dc=test"
	people = "ou=People," + suffix
)

func main() {
	counts := flag.String("users", "100000,300000", "comma-separated user counts")
	bin := flag.String("sspr", "bin/sspr", "the sspr binary to measure")
	repeat := flag.Int("repeat", 3, "runs of the baseline and of each sync kind (the median is reported)")
	flag.StringVar(&profileDir, "profile", "", "write a CPU profile of each sspr run into this directory")
	flag.Parse()
	ctx := context.Background()
	if err := slapd.Available(); err != nil {
		fail(err)
	}
	if _, err := exec.LookPath("ldapsearch"); err != nil {
		fail(fmt.Errorf("ldapsearch not found (apt-get install ldap-utils): %w", err))
	}
	abs, err := filepath.Abs(*bin)
	if err != nil {
		fail(err)
	}
	fmt.Printf("sspr sync benchmark, %s, GOMAXPROCS default, %s\n", time.Now().Format(time.DateTime), abs)
	fmt.Printf("%-8s %-15s %10s %10s %12s\n", "users", "run", "seconds", "ratio", "peak RSS MiB")
	for _, s := range strings.Split(*counts, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			fail(err)
		}
		if err := bench(ctx, abs, n, *repeat); err != nil {
			fail(err)
		}
	}
}

var profileDir string

func fail(err error) {
	fmt.Fprintln(os.Stderr, "syncbench:", err)
	os.Exit(1)
}

func bench(ctx context.Context, bin string, n, repeat int) error {
	dir, err := os.MkdirTemp("", "sspr-syncbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ldif := filepath.Join(dir, "users.ldif")
	if err := writeUsers(ldif, n); err != nil {
		return err
	}
	srv, err := slapd.Start(ctx, slapd.Options{Dir: filepath.Join(dir, "slapd"), Suffix: suffix, LDIFFiles: []string{ldif}, NoSync: true, SyncProv: true})
	if err != nil {
		return err
	}
	defer srv.Stop()

	// Baseline: the same entries dumped by ldapsearch (attributes sspr reads, as sspr asks).
	var base []time.Duration
	for range repeat {
		t0 := time.Now()
		cmd := exec.CommandContext(ctx, "ldapsearch", "-x", "-LLL", "-H", srv.URL, "-D", srv.AdminDN, "-w", srv.AdminPassword,
			"-b", people, "-E", "pr=1000/noprompt", "(objectClass=inetOrgPerson)")
		cmd.Stdout = nil // /dev/null
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("ldapsearch: %w", err)
		}
		base = append(base, time.Since(t0))
	}
	baseline := median(base)
	row(n, "ldapsearch", baseline, baseline, 0)

	config := func(name string, srv *slapd.Server) string {
		pw := filepath.Join(dir, name+".pw")
		os.WriteFile(pw, []byte(srv.AdminPassword), 0o600)
		cfg := filepath.Join(dir, name+".yaml")
		os.WriteFile(cfg, []byte(fmt.Sprintf(`store: sqlite://%s/%s.db
directory:
  type: openldap
  url: %s
  allowInsecure: true
  bindDN: %s
  bindPasswordFile: %s
  baseDNs: [%q]
  mapping:
    alternateEmails: mail
phone:
  defaultRegion: US
sync:
  deleteThreshold: 1000000
`, dir, name, srv.URL, srv.AdminDN, pw, people)), 0o600)
		return cfg
	}
	cfg := config("sspr", srv)

	runs := 0
	syncWith := func(cfg string, args ...string) (time.Duration, int64, string, error) {
		cmd := exec.CommandContext(ctx, bin, append([]string{"-c", cfg, "sync", "-q"}, args...)...)
		if profileDir != "" {
			runs++
			cmd.Env = append(os.Environ(), fmt.Sprintf("SSPR_CPUPROFILE=%s/%d-%d.prof", profileDir, n, runs),
				fmt.Sprintf("SSPR_TRACE=%s/%d-%d.trace", profileDir, n, runs))
		}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		t0 := time.Now()
		err := cmd.Run()
		d := time.Since(t0)
		if err != nil {
			return d, 0, out.String(), fmt.Errorf("sspr sync %v: %w\n%s", args, err, out.String())
		}
		rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss // KiB on Linux
		return d, rss, lastLine(out.String()), nil
	}
	sync := func(args ...string) (time.Duration, int64, string, error) { return syncWith(cfg, args...) }

	// Full sync into a fresh store (the store is removed between repeats).
	var fulls []time.Duration
	var fullRSS int64
	for i := range repeat {
		if i > 0 {
			for _, f := range []string{"sspr.db", "sspr.db-wal", "sspr.db-shm"} {
				os.Remove(filepath.Join(dir, f))
			}
		}
		d, rss, summary, err := sync()
		if err != nil {
			return err
		}
		if !strings.Contains(summary, fmt.Sprintf("%d added", n)) {
			return fmt.Errorf("full sync did not add %d users: %s", n, summary)
		}
		fulls = append(fulls, d)
		fullRSS = max(fullRSS, rss)
	}
	row(n, "full", median(fulls), baseline, fullRSS)

	var same []time.Duration
	var sameRSS int64
	for range repeat {
		d, rss, summary, err := sync("--full")
		if err != nil {
			return err
		}
		if !strings.Contains(summary, fmt.Sprintf("%d unchanged", n)) {
			return fmt.Errorf("no-change sync: %s", summary)
		}
		same = append(same, d)
		sameRSS = max(sameRSS, rss)
	}
	row(n, "no-change", median(same), baseline, sameRSS)

	var deltas []time.Duration
	var deltaRSS int64
	for i := range repeat {
		if err := modify(ctx, srv, n, 100, i); err != nil {
			return err
		}
		d, rss, summary, err := sync()
		if err != nil {
			return err
		}
		if !strings.Contains(summary, "delta") || !strings.Contains(summary, "100 updated") {
			return fmt.Errorf("delta sync: %s", summary)
		}
		deltas = append(deltas, d)
		deltaRSS = max(deltaRSS, rss)
	}
	row(n, "delta-100", median(deltas), baseline, deltaRSS)

	// The same delta without syncprov: a second slapd with the same users, its own store.
	if err := srv.Stop(); err != nil {
		return err
	}
	plain, err := slapd.Start(ctx, slapd.Options{Dir: filepath.Join(dir, "slapd-plain"), Suffix: suffix, LDIFFiles: []string{ldif}, NoSync: true})
	if err != nil {
		return err
	}
	defer plain.Stop()
	os.Remove(ldif)
	cfgPlain := config("sspr-plain", plain)
	if _, _, summary, err := syncWith(cfgPlain); err != nil || !strings.Contains(summary, fmt.Sprintf("%d added", n)) {
		return fmt.Errorf("full sync without syncprov: %v %s", err, summary)
	}
	deltas, deltaRSS = nil, 0
	for i := range repeat {
		if err := modify(ctx, plain, n, 100, i); err != nil {
			return err
		}
		d, rss, summary, err := syncWith(cfgPlain)
		if err != nil {
			return err
		}
		if !strings.Contains(summary, "delta") || !strings.Contains(summary, "100 updated") {
			return fmt.Errorf("delta sync without syncprov: %s", summary)
		}
		deltas = append(deltas, d)
		deltaRSS = max(deltaRSS, rss)
	}
	row(n, "delta-100 enum", median(deltas), baseline, deltaRSS)
	return nil
}

func row(n int, name string, d, baseline time.Duration, rssKiB int64) {
	rss := "-"
	if rssKiB > 0 {
		rss = fmt.Sprintf("%.1f", float64(rssKiB)/1024)
	}
	fmt.Printf("%-8d %-15s %10.3f %9.2fx %12s\n", n, name, d.Seconds(), d.Seconds()/baseline.Seconds(), rss)
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// writeUsers generates n inetOrgPerson entries with phones in several formats.
func writeUsers(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintf(w, "dn: %s\nobjectClass: dcObject\nobjectClass: organization\no: bench\ndc: bench\n\n", suffix)
	fmt.Fprintf(w, "dn: %s\nobjectClass: organizationalUnit\nou: People\n\n", people)
	formats := []string{"+1 425 %03d %04d", "(425) %03d-%04d", "+1-425-%03d-%04d x12", "425.%03d.%04d"}
	for i := range n {
		mobile := fmt.Sprintf(formats[i%len(formats)], 200+i/10000%800, i%10000)
		fmt.Fprintf(w, "dn: uid=user%07d,%s\nobjectClass: inetOrgPerson\nuid: user%07d\ncn: User %d\nsn: %d\n"+
			"displayName: Bench User %d\nmobile: %s\ntelephoneNumber: +1 206 %03d %04d\nmail: user%07d@example.com\n\n",
			i, people, i, i, i, i, mobile, 200+i/10000%800, i%10000, i)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// modify changes the mobile of k users spread over the directory with ldapmodify.
func modify(ctx context.Context, srv *slapd.Server, n, k, round int) error {
	var b strings.Builder
	for j := range k {
		i := j * (n / k)
		fmt.Fprintf(&b, "dn: uid=user%07d,%s\nchangetype: modify\nreplace: mobile\nmobile: +1 425 %03d %04d\n\n", i, people, 300+round, 1000+j)
	}
	cmd := exec.CommandContext(ctx, "ldapmodify", "-x", "-H", srv.URL, "-D", srv.AdminDN, "-w", srv.AdminPassword)
	cmd.Stdin = strings.NewReader(b.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("ldapmodify: %w: %s", err, out)
	}
	return nil
}
