// Command syncbench measures sspr's directory sync against its baseline, for each user count
// given (default 100000 and 300000):
//
//	ldapsearch      ldapsearch -E pr=1000/noprompt dumping every user to /dev/null, asking for
//	                exactly the attributes sspr sync asks for (ldap.Reader.Attributes of the same
//	                configuration), from the same slapd
//	full            sspr sync into a fresh SQLite store
//	no-change       sspr sync --full again (nothing changed)
//	delta-100       sspr sync after ldapmodify changed 100 users: RFC 4533 content
//	                synchronization (the slapd runs the syncprov overlay)
//	delta-100 enum  the same on a second slapd without syncprov: changed users by
//	                modifyTimestamp, then an enumeration of every user's anchor
//
// Each kind runs -runs times (at least three for a median). Full and no-change runs are paired:
// each follows its own ldapsearch run, and its ratio is to that run, so that a change in the
// machine's load between runs hits both sides. Every run is printed with the 1-minute load
// average before and after it, the CPU time of the measured process and of slapd (from /proc,
// which does not depend on what else the machine runs), a paired run's CPU ratio to its
// ldapsearch run, and the peak RSS of sspr; a median row closes each kind. It starts its own
// throwaway slapd on 127.0.0.1 and stops it. Run it with `make bench-sync` (which builds bin/sspr
// first). `-users 1000000 -runs 1` runs the same kinds on a million users (two slapadd loads of
// a 330 MB LDIF: a few GB of temporary space).
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sspr/sspr/internal/config"
	"github.com/sspr/sspr/internal/directory/ldap"
	"github.com/sspr/sspr/internal/slapd"
	"github.com/sspr/sspr/scripts/internal/benchrun"
)

const (
	suffix = "dc=bench,dc=test"
	people = "ou=People," + suffix
)

var (
	counts     = flag.String("users", "100000,300000", "comma-separated user counts")
	bin        = flag.String("sspr", "bin/sspr", "the sspr binary to measure")
	runs       = flag.Int("runs", 3, "runs of each kind; each run is printed, then the median")
	profileDir = flag.String("profile", "", "write a CPU profile and an execution trace of each sspr run into this directory")
	kinds      = flag.String("kinds", "full,no-change,delta", "comma-separated kinds to measure: full, no-change, delta (delta-100 and delta-100 enum); "+
		"no-change without full starts from one full sync that is not measured")
)

// measured says whether kind k was asked for with -kinds.
func measured(k string) bool {
	for _, x := range strings.Split(*kinds, ",") {
		if strings.TrimSpace(x) == k {
			return true
		}
	}
	return false
}

func main() {
	flag.Parse()
	ctx := context.Background()
	if *runs < 1 {
		fail(errors.New("-runs must be at least 1"))
	}
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
	fmt.Printf("sspr sync benchmark, %s, GOMAXPROCS default, %s\n", time.Now().UTC().Format(time.DateTime+" UTC"), abs)
	fmt.Printf("flags: %s\n", benchrun.Flags(flag.CommandLine))
	fmt.Println("columns: seconds = wall time of the run; ratio = seconds / seconds of the ldapsearch run just before it;")
	fmt.Println("  CPU s = user+system CPU of the measured process (ldapsearch or sspr); CPU ratio = CPU s / CPU s of that ldapsearch")
	fmt.Println("  run (on a loaded machine it moves less than the wall-time ratio); slapd CPU s = slapd's CPU during the run;")
	fmt.Println("  peak RSS = the sspr process's maximum resident set; load = 1-minute load average before → after the run;")
	fmt.Println("  a median row gives the medians (ratio: the median of the runs' ratios), their ranges, and the highest peak RSS")
	for _, s := range strings.Split(*counts, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			fail(err)
		}
		if err := bench(ctx, abs, n); err != nil {
			fail(err)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "syncbench:", err)
	os.Exit(1)
}

// result is one measured run.
type result struct {
	d        time.Duration
	cpu      time.Duration // of the measured process
	slapdCPU time.Duration // -1: unknown
	rssKiB   int64         // 0: not an sspr run
	ratio    float64       // 0: not paired with a baseline
	cpuRatio float64       // CPU s / the baseline's CPU s; 0: not paired
	load     [2]string     // before, after
	note     string        // printed instead of the load (median rows)
	out      string
}

// measure runs cmd with the load average and slapd's CPU around it. Without keep, the
// standard output goes to /dev/null (as a dump's would), only errors are kept.
func measure(cmd *exec.Cmd, slapdPID int, keep bool) (result, error) {
	var out strings.Builder
	cmd.Stderr = &out
	if keep {
		cmd.Stdout = &out
	}
	r := result{load: [2]string{load1()}}
	m := benchrun.Start(slapdPID)
	t0 := time.Now()
	err := cmd.Run()
	r.d = time.Since(t0)
	r.slapdCPU = m.Stop()[0]
	r.load[1] = load1()
	r.out = out.String()
	if err != nil {
		return r, fmt.Errorf("%s: %w\n%s", filepath.Base(cmd.Path), err, r.out)
	}
	r.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return r, nil
}

// load1 is the 1-minute load average.
func load1() string { return strings.Fields(benchrun.Load())[0] }

// table prints runs and medians of one user count.
type table struct{ n int }

func (t table) header() {
	fmt.Printf("%-8s %-15s %6s %9s %8s %7s %9s %11s %12s  %s\n", "users", "run", "#", "seconds", "ratio", "CPU s", "CPU ratio", "slapd CPU s", "peak RSS MiB", "load")
}

func (t table) row(name, num string, r result) {
	ratio, cpuRatio, rss, slapdCPU := "-", "-", "-", "?"
	if r.ratio > 0 {
		ratio = fmt.Sprintf("%.2fx", r.ratio)
	}
	if r.cpuRatio > 0 {
		cpuRatio = fmt.Sprintf("%.2fx", r.cpuRatio)
	}
	if r.rssKiB > 0 {
		rss = fmt.Sprintf("%.1f", float64(r.rssKiB)/1024)
	}
	if r.slapdCPU >= 0 {
		slapdCPU = fmt.Sprintf("%.2f", r.slapdCPU.Seconds())
	}
	load := r.note
	if r.load[0] != "" {
		load = r.load[0] + " → " + r.load[1]
	}
	fmt.Printf("%-8d %-15s %6s %9.3f %8s %7.2f %9s %11s %12s  %s\n", t.n, name, num, r.d.Seconds(), ratio, r.cpu.Seconds(), cpuRatio, slapdCPU, rss, load)
}

// median prints the median row of rs.
func (t table) median(name string, rs []result) {
	var d, cpu, slapdCPU, ratio, cpuRatio benchrun.Series
	var m result
	for _, r := range rs {
		d = append(d, r.d.Seconds())
		cpu = append(cpu, r.cpu.Seconds())
		if r.slapdCPU >= 0 {
			slapdCPU = append(slapdCPU, r.slapdCPU.Seconds())
		}
		if r.ratio > 0 {
			ratio = append(ratio, r.ratio)
			cpuRatio = append(cpuRatio, r.cpuRatio)
		}
		m.rssKiB = max(m.rssKiB, r.rssKiB)
	}
	m.d = time.Duration(d.Median() * float64(time.Second))
	m.cpu = time.Duration(cpu.Median() * float64(time.Second))
	m.slapdCPU = -1
	if len(slapdCPU) > 0 {
		m.slapdCPU = time.Duration(slapdCPU.Median() * float64(time.Second))
	}
	m.ratio = ratio.Median()
	m.cpuRatio = cpuRatio.Median()
	m.note = fmt.Sprintf("of %d runs: seconds %s", len(rs), d.Summary("%.3f"))
	if len(ratio) > 0 {
		m.note += ", ratio " + ratio.Summary("%.2fx") + ", CPU ratio " + cpuRatio.Summary("%.2fx")
	}
	t.row(name, "median", m)
}

func bench(ctx context.Context, bin string, n int) error {
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

	configFor := func(name string, srv *slapd.Server) (string, error) {
		pw := filepath.Join(dir, name+".pw")
		if err := os.WriteFile(pw, []byte(srv.AdminPassword), 0o600); err != nil {
			return "", err
		}
		cfg := filepath.Join(dir, name+".yaml")
		return cfg, os.WriteFile(cfg, []byte(fmt.Sprintf(`store: sqlite://%s/%s.db
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
	}
	cfg, err := configFor("sspr", srv)
	if err != nil {
		return err
	}
	attrs, err := searchAttributes(cfg)
	if err != nil {
		return err
	}
	fmt.Printf("\n%d users; ldapsearch and sspr sync both request: %s\n", n, strings.Join(attrs, " "))
	t := table{n: n}
	t.header()

	// The baseline: the same entries, the same attributes, the same page size as sspr's reads.
	ldapsearch := func() (result, error) {
		args := append([]string{"-x", "-LLL", "-H", srv.URL, "-D", srv.AdminDN, "-w", srv.AdminPassword,
			"-b", people, "-E", "pr=1000/noprompt", "(objectClass=inetOrgPerson)"}, attrs...)
		return measure(exec.CommandContext(ctx, "ldapsearch", args...), srv.PID, false)
	}

	profiled := 0
	syncWith := func(cfg string, pid int, args ...string) (result, error) {
		cmd := exec.CommandContext(ctx, bin, append([]string{"-c", cfg, "sync", "-q"}, args...)...)
		if *profileDir != "" {
			profiled++
			cmd.Env = append(os.Environ(), fmt.Sprintf("SSPR_CPUPROFILE=%s/%d-%d.prof", *profileDir, n, profiled),
				fmt.Sprintf("SSPR_TRACE=%s/%d-%d.trace", *profileDir, n, profiled))
		}
		r, err := measure(cmd, pid, true)
		if err != nil {
			return r, err
		}
		r.rssKiB = cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss // KiB on Linux
		r.out = lastLine(r.out)
		return r, nil
	}
	// kind runs one sync kind -runs times; paired runs each follow their own ldapsearch.
	kind := func(name string, paired bool, before func(i int) error, want func(summary string) bool, sync func() (result, error)) error {
		var base, rs []result
		for i := range *runs {
			if paired {
				b, err := ldapsearch()
				if err != nil {
					return err
				}
				t.row("ldapsearch", strconv.Itoa(i+1), b)
				base = append(base, b)
			}
			if err := before(i); err != nil {
				return err
			}
			r, err := sync()
			if err != nil {
				return err
			}
			if !want(r.out) {
				return fmt.Errorf("%s sync: unexpected summary %q", name, r.out)
			}
			if paired {
				r.ratio = r.d.Seconds() / base[i].d.Seconds()
				r.cpuRatio = r.cpu.Seconds() / base[i].cpu.Seconds()
			}
			t.row(name, strconv.Itoa(i+1), r)
			rs = append(rs, r)
		}
		if paired {
			t.median("ldapsearch", base)
		}
		t.median(name, rs)
		return nil
	}
	nothing := func(int) error { return nil }
	sync := func(args ...string) func() (result, error) {
		return func() (result, error) { return syncWith(cfg, srv.PID, args...) }
	}

	// Full sync into a fresh store (the store's files are removed before each run).
	fresh := func(int) error {
		files, _ := filepath.Glob(filepath.Join(dir, "sspr.db*"))
		for _, f := range files {
			if err := os.Remove(f); err != nil {
				return err
			}
		}
		return nil
	}
	added := contains(fmt.Sprintf("%d added", n))
	if measured("full") {
		if err := kind("full", true, fresh, added, sync()); err != nil {
			return err
		}
	} else if r, err := syncWith(cfg, srv.PID); err != nil || !added(r.out) {
		return fmt.Errorf("full sync (not measured): %v %s", err, r.out)
	}
	if measured("no-change") {
		if err := kind("no-change", true, nothing, contains(fmt.Sprintf("%d unchanged", n)), sync("--full")); err != nil {
			return err
		}
	}
	if !measured("delta") {
		return nil
	}
	delta := func(s string) bool { return strings.Contains(s, "delta") && strings.Contains(s, "100 updated") }
	if err := kind("delta-100", false, func(i int) error { return modify(ctx, srv, n, 100, i) }, delta, sync()); err != nil {
		return err
	}

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
	cfgPlain, err := configFor("sspr-plain", plain)
	if err != nil {
		return err
	}
	if r, err := syncWith(cfgPlain, plain.PID); err != nil || !strings.Contains(r.out, fmt.Sprintf("%d added", n)) {
		return fmt.Errorf("full sync without syncprov: %v %s", err, r.out)
	}
	return kind("delta-100 enum", false, func(i int) error { return modify(ctx, plain, n, 100, i) }, delta,
		func() (result, error) { return syncWith(cfgPlain, plain.PID) })
}

func contains(s string) func(string) bool {
	return func(x string) bool { return strings.Contains(x, s) }
}

// searchAttributes returns what sspr sync requests for each user under configuration file
// path: the LDAP reader's own list, so that the baseline asks for exactly the same.
func searchAttributes(path string) ([]string, error) {
	c, err := config.Load(path, os.Getenv)
	if err != nil {
		return nil, err
	}
	d := c.Directory
	r, err := ldap.New(ldap.Config{Kind: d.Type, Endpoint: d.Endpoint, BaseDNs: d.BaseDNs, Filter: d.Filter, Mapping: d.Mapping})
	if err != nil {
		return nil, err
	}
	return r.Attributes(), nil
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
	// Created and last changed a day ago, as in a directory in use: without it every entry
	// carries the load's time, and the first delta by modifyTimestamp re-reads them all (the
	// reader's margin covers the minute before the newest change and the read's duration).
	stamp := time.Now().UTC().Add(-24 * time.Hour).Format("20060102150405Z")
	for i := range n {
		mobile := fmt.Sprintf(formats[i%len(formats)], 200+i/10000%800, i%10000)
		fmt.Fprintf(w, "dn: uid=user%07d,%s\nobjectClass: inetOrgPerson\nuid: user%07d\ncn: User %d\nsn: %d\n"+
			"displayName: Bench User %d\nmobile: %s\ntelephoneNumber: +1 206 %03d %04d\nmail: user%07d@example.com\n"+
			"createTimestamp: %s\nmodifyTimestamp: %s\n\n",
			i, people, i, i, i, i, mobile, 200+i/10000%800, i%10000, i, stamp, stamp)
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
