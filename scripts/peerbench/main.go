// Command peerbench compares sspr's reset with its peer's, Ory Kratos v1.3.1's account recovery
// by code, on the same machine, the same database server and the same users, driven by one load
// generator. Run it with `make bench-peer`.
//
// Setup: Kratos is built once from its module's source (cgo, -tags sqlite) and kept under
// -cache; a throwaway slapd gets -users users (uid, mobile, mail); per store (-stores) sspr syncs
// them from slapd and Kratos gets the same users (their email as the recovery address) through
// its admin API. PostgreSQL is a server of the benchmark's own (scripts/testservers/postgres.sh),
// one database per system. Both deliver codes by HTTP to a receiver in this process: sspr by its
// SMS webhook, Kratos by its HTTP courier (pulling kratosPullCount messages every kratosPullWait
// instead of its default 10 every second). Each start comes from its own client address
// (X-Forwarded-For, which sspr trusts from 127.0.0.1), so that sspr runs with its default
// throttles as behind a load balancer; Kratos has no throttle.
//
// Each of -runs runs starts one system's server at a time (the other is stopped, so that the
// database's CPU is the measured system's), waits until it is idle, prints what it costs idle,
// and measures:
//
//   - first step, -workers browsers for -duration, half of the names unknown: sspr name →
//     methods page → SMS code asked for (3 requests, padded to -floor); Kratos recovery flow
//     created → email submitted (2 requests, no padding);
//   - complete resets, -resets by -workers browsers, each its own user: sspr first step, code,
//     new password written to slapd; Kratos first step, code proved (a session and a settings
//     flow issued, no password set); and -password-resets more in which Kratos also sets the
//     password in that settings flow (bcrypt, cost 12, its default).
//
// For every phase it prints the load average before and after, the rate, the failures, and
// the CPU per step of the server, the database (PostgreSQL: the postmaster and all its
// children) and slapd, read from /proc, which does not depend on what else the machine runs;
// then the medians of the runs and the ratios sspr/Kratos, CPU per step first. -profile DIR
// writes a CPU profile of each run's sspr serve.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sspr/sspr/scripts/internal/benchrun"
)

var (
	ssprBin  = flag.String("sspr", "bin/sspr", "the sspr binary")
	cache    = flag.String("cache", "bin/peerbench", "where Kratos's source copy and binary are kept between runs")
	goCmd    = flag.String("go", "go", "the go command that builds Kratos")
	users    = flag.Int("users", 10000, "users in slapd, sspr and Kratos")
	workers  = flag.Int("workers", 32, "concurrent browsers, for both systems and every phase")
	duration = flag.Duration("duration", 10*time.Second, "how long the first step is driven, per run and system")
	resets   = flag.Int("resets", 300, "complete resets per run, system and phase")
	limit    = flag.Duration("phase-limit", 60*time.Second, "no complete reset is started after this time in a phase (Kratos on SQLite fails slowly)")
	pwResets = flag.Int("password-resets", 60, "Kratos's complete resets with the password set, per run (at most -resets; its bcrypt makes each cost ~0.3 CPU-seconds)")
	systems  = flag.String("systems", "sspr,kratos", "the systems run: both for the ratios; one alone for a profile (-profile) or a quick look")
	pgStats  = flag.Bool("pg-statements", false, "PostgreSQL: load pg_stat_statements and print, after each first step, the statements each system sent per start with their execution time (a breakdown, not a CPU figure)")
	profile  = flag.String("profile", "", "a folder: sspr serve writes a CPU profile of each run there (SSPR_CPUPROFILE)")
	runs     = flag.Int("runs", 3, "runs; each is printed, then the medians")
	floor    = flag.Duration("floor", time.Millisecond, "sspr's reset.responseFloor (its anti-enumeration padding; the product default is 250ms, Kratos has none)")
	stores   = flag.String("stores", "postgres,sqlite", "the stores compared, in order: postgres, sqlite")
)

func main() {
	flag.Parse()
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
		fmt.Fprintln(os.Stderr, "peerbench: interrupted; stopping what it started")
		cleanup.run()
		os.Exit(1)
	}()
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "peerbench:", err)
		cleanup.run()
		os.Exit(1)
	}
}

// cleanup holds what stops the servers and removes the files the benchmark started and made,
// so that an interrupt stops them too (by their PIDs, through their own stop functions).
var cleanup cleanups

type cleanups struct {
	mu  sync.Mutex
	fns []func()
}

// atExit registers fn to run at an interrupt, and returns it to run once (deferred) otherwise.
func atExit(fn func()) func() {
	once := sync.OnceFunc(fn)
	cleanup.mu.Lock()
	cleanup.fns = append(cleanup.fns, once)
	cleanup.mu.Unlock()
	return once
}

// run runs the registered functions, the last registered first.
func (c *cleanups) run() {
	c.mu.Lock()
	fns := slices.Clone(c.fns)
	c.mu.Unlock()
	for _, fn := range slices.Backward(fns) {
		fn()
	}
}

// plan is how the users are shared out: the first step draws from users below firstUsers;
// complete resets take a block of -resets users per store, run and phase, above them.
type plan struct{ firstUsers, blocksPerStore int }

func newPlan(storeCount int) (plan, error) {
	p := plan{blocksPerStore: 2 * *runs} // per run: Kratos without and with password; sspr uses the first
	switch {
	case *runs < 1 || *resets < 1 || *workers < 1 || *duration <= 0 || *pwResets < 1 || *pwResets > *resets:
		return p, errors.New("-runs, -resets, -password-resets and -workers must be at least 1, -duration positive, -password-resets at most -resets")
	case *floor <= 0:
		return p, errors.New("-floor must be positive (sspr reads 0 as its default, 250ms)")
	}
	p.firstUsers = *users - storeCount*p.blocksPerStore**resets
	if p.firstUsers < 1 {
		return p, fmt.Errorf("-users %d leaves none for the first step: complete resets take stores × 2 × -runs × -resets = %d", *users, *users-p.firstUsers)
	}
	return p, nil
}

// block is the first user of complete-reset block b of store s.
func (p plan) block(s, b int) int { return p.firstUsers + (s*p.blocksPerStore+b)**resets }

func parseStores(s string) ([]string, error) {
	var out []string
	for _, v := range strings.Split(s, ",") {
		v = strings.TrimSpace(v)
		if v != "postgres" && v != "sqlite" {
			return nil, fmt.Errorf("-stores: %q is neither postgres nor sqlite", v)
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out, nil
}

func run(ctx context.Context) error {
	storeList, err := parseStores(*stores)
	if err != nil {
		return err
	}
	pl, err := newPlan(len(storeList))
	if err != nil {
		return err
	}
	fmt.Printf("peerbench %s, %s\n", time.Now().UTC().Format(time.DateTime+" UTC"), benchrun.Flags(flag.CommandLine))
	runSSPR, runKratos := strings.Contains(*systems, "sspr"), strings.Contains(*systems, "kratos")
	kratosBin := ""
	if runKratos {
		if kratosBin, err = buildKratos(ctx, *goCmd, *cache); err != nil {
			return err
		}
	}
	ssprAbs, err := filepath.Abs(*ssprBin)
	if err != nil {
		return err
	}
	fmt.Printf("anti-enumeration padding: sspr pads its first step to reset.responseFloor = %s (product default 250ms); Kratos pads nothing (it answers an unknown address like a known one, and sends nothing to it: notify_unknown_recipients is false by default)\n", *floor)
	fmt.Printf("delivery: both by HTTP to a receiver in this process; sspr's SMS webhook is woken as each code is queued, Kratos's courier pulls up to %d messages every %s (its default: 10 every 1s)\n", kratosPullCount, kratosPullWait)
	fmt.Printf("users: first step from user0..user%d (half the names unknown), complete resets from user%d up, a block of %d per store, run and phase\n",
		pl.firstUsers-1, pl.firstUsers, *resets)

	dir, err := os.MkdirTemp("", "sspr-peerbench-")
	if err != nil {
		return err
	}
	defer atExit(func() { os.RemoveAll(dir) })()
	codes, err := startReceiver()
	if err != nil {
		return err
	}
	defer codes.stop()
	t0 := time.Now()
	d, err := startDirectory(ctx, dir, *users)
	if err != nil {
		return err
	}
	defer atExit(func() { d.srv.Stop() })()
	fmt.Printf("slapd: %d users in %s\n", *users, time.Since(t0).Round(time.Millisecond))

	var (
		all    []storeResults
		failed []error
	)
	for si, store := range storeList {
		sr, err := benchStore(ctx, si, store, dir, ssprAbs, kratosBin, d, codes, pl, runSSPR)
		if err != nil {
			// One store's failure (Kratos on SQLite, say) leaves the other's figures standing.
			fmt.Printf("\n%s: stopped: %v\n", storeTitle(store), err)
			failed = append(failed, fmt.Errorf("%s: %w", storeTitle(store), err))
		}
		all = append(all, sr)
	}
	fmt.Printf("\nmedians of %d runs (min–max); CPU per step from /proc; ratios sspr/Kratos\n", *runs)
	for _, sr := range all {
		sr.summarize()
	}
	return errors.Join(failed...)
}

// storeResults are every run's results on one store, in order.
type storeResults struct {
	store   string
	results []result
}

// benchStore sets both systems up on store and runs every run on it.
// Kratos is left out when kratosBin is empty, sspr when not withSSPR.
func benchStore(ctx context.Context, si int, store, dir, ssprBin, kratosBin string, d *directory, codes *receiver, pl plan, withSSPR bool) (storeResults, error) {
	sr := storeResults{store: store}
	sdir := filepath.Join(dir, store)
	ssprDir, kratosDir := filepath.Join(sdir, "sspr"), filepath.Join(sdir, "kratos")
	for _, p := range []string{ssprDir, kratosDir} {
		if err := os.MkdirAll(p, 0o700); err != nil {
			return sr, err
		}
	}
	fmt.Printf("\n== %s ==\n", storeTitle(store))
	ssprStore := "sqlite://" + filepath.Join(ssprDir, "sspr.db")
	kratosDSN := "sqlite://" + filepath.Join(kratosDir, "kratos.db") + "?_fk=true&mode=rwc" // as Kratos's documentation has it
	env := os.Environ()
	var (
		dbRole     func() (time.Duration, error)
		statements *postgres // nil prints nothing
	)
	if store == "postgres" {
		// PostgreSQL runs as the postgres user when we are root: it must reach its folder.
		for _, p := range []string{dir, sdir} {
			if err := os.Chmod(p, 0o711); err != nil {
				return sr, err
			}
		}
		pg, err := startPostgres(ctx, filepath.Join(sdir, "pg"))
		if err != nil {
			return sr, err
		}
		defer atExit(pg.stop)()
		if *pgStats {
			if err := pg.loadStatements(ctx); err != nil {
				return sr, err
			}
		}
		ssprStore, kratosDSN = pg.url("sspr_peer"), pg.url("kratos_peer")
		if err := pg.createDatabases(ctx, "sspr_peer", "kratos_peer"); err != nil {
			return sr, err
		}
		if *pgStats {
			statements = pg // the first steps print its pg_stat_statements
		}
		dbRole = func() (time.Duration, error) { return benchrun.TreeCPU(pg.pid) }
		fmt.Printf("PostgreSQL: a server of its own (pid %d), databases sspr_peer and kratos_peer; its CPU is the postmaster's and all its children's\n", pg.pid)
	}
	// newMeter meters the server (pid), the database server when there is one, and slapd.
	newMeter := func(server string, pid int) *meter {
		mt := &meter{}
		mt.add(server, func() (time.Duration, error) { return benchrun.CPU(pid) })
		if dbRole != nil {
			mt.add("PostgreSQL", dbRole)
		}
		mt.add("slapd", func() (time.Duration, error) { return benchrun.CPU(d.srv.PID) })
		return mt
	}

	var (
		ss *sspr
		k  *kratos
	)
	if withSSPR {
		t0 := time.Now()
		var err error
		if ss, err = setupSSPR(ssprBin, ssprDir, ssprStore, env, d, codes, *floor); err != nil {
			return sr, err
		}
		fmt.Printf("sspr: %d users synced from slapd in %s\n", *users, time.Since(t0).Round(time.Millisecond))
	}
	if kratosBin != "" {
		t0 := time.Now()
		var err error
		if k, err = setupKratos(kratosBin, kratosDir, kratosDSN, codes); err != nil {
			return sr, err
		}
		parallel := 4
		if store == "sqlite" {
			parallel = 1 // one writer
		}
		if err := withServer(k.serve, func(int) error { return k.importUsers(*users, parallel) }); err != nil {
			return sr, err
		}
		fmt.Printf("Kratos: migrated, %d users imported through its admin API in %s\n", *users, time.Since(t0).Round(time.Millisecond))
	}

	for r := range *runs {
		fmt.Printf("\n%s run %d/%d\n", storeTitle(store), r+1, *runs)
		if ss != nil {
			serveEnv := env
			if *profile != "" {
				serveEnv = append(slices.Clone(env), "SSPR_CPUPROFILE="+filepath.Join(*profile, fmt.Sprintf("sspr-%s-run%d.prof", store, r+1)))
			}
			err := withServer(func() (int, func(), error) { return ss.serve(serveEnv) }, func(pid int) error {
				mt := newMeter("sspr serve", pid)
				idle(mt, mt.settle(15*time.Second))
				statements.reset(ctx)
				add(&sr, "sspr", "first step", firstStep(ss, mt, *workers, *duration, pl.firstUsers, r, ssprName))
				statements.print(ctx, "sspr_peer", sr.results[len(sr.results)-1].done)
				add(&sr, "sspr", "complete resets (password written to slapd)", completeResets(ss, mt, *workers, pl.block(si, 2*r), *resets, true, *limit))
				return nil
			})
			if err != nil {
				return sr, err
			}
		}
		if k != nil {
			err := withServer(k.serve, func(pid int) error {
				mt := newMeter("kratos", pid)
				idle(mt, mt.settle(15*time.Second))
				statements.reset(ctx)
				add(&sr, "Kratos", "first step", firstStep(k, mt, *workers, *duration, pl.firstUsers, r, kratosName))
				statements.print(ctx, "kratos_peer", sr.results[len(sr.results)-1].done)
				add(&sr, "Kratos", "complete resets (code proved, no password set)", completeResets(k, mt, *workers, pl.block(si, 2*r), *resets, false, *limit))
				add(&sr, "Kratos", "complete resets with the password set (bcrypt)", completeResets(k, mt, *workers, pl.block(si, 2*r+1), *pwResets, true, *limit))
				return nil
			})
			if err != nil {
				return sr, err
			}
		}
	}
	return sr, nil
}

func ssprName(i int, known bool) string {
	if known {
		return userName(i)
	}
	return fmt.Sprintf("nobody%07d", i)
}

func kratosName(i int, known bool) string {
	if known {
		return emailOf(i)
	}
	return fmt.Sprintf("nobody%07d@bench.test", i)
}

func storeTitle(store string) string {
	if store == "postgres" {
		return "PostgreSQL"
	}
	return "SQLite"
}

// withServer starts a server, runs fn with its PID, and stops it.
func withServer(start func() (int, func(), error), fn func(pid int) error) error {
	pid, stop, err := start()
	if err != nil {
		return err
	}
	defer atExit(stop)()
	return fn(pid)
}

// idle prints what the processes spend per second when nobody uses them.
func idle(m *meter, per []time.Duration) {
	var parts []string
	for i, role := range m.roles {
		v := "unknown"
		if per[i] >= 0 {
			v = fmt.Sprintf("%d ms/s", per[i].Milliseconds())
		}
		parts = append(parts, role+" "+v)
	}
	fmt.Printf("  idle CPU (the server started and settled, no requests): %s\n", strings.Join(parts, ", "))
}

// add prints a phase's result and keeps it.
func add(sr *storeResults, system, phase string, r result) {
	r.system, r.phase = system, phase
	fmt.Printf("  %s %s: load average %s before, %s after\n", system, phase, r.loadBefore, r.loadAfter)
	fmt.Printf("    %.0f %s/s (%d in %s by %d browsers), %d failures", r.rate(), r.unit, r.done, r.elapsed.Round(time.Millisecond), *workers, r.failures)
	if r.notStarted > 0 {
		fmt.Printf(", %d not started (-phase-limit %s)", r.notStarted, *limit)
	}
	if r.firstErr != "" {
		fmt.Printf("; first: %s", r.firstErr)
	}
	fmt.Printf("\n    CPU per %s: %s; the load generator (this process, not in the total) %s\n", strings.TrimSuffix(r.unit, "s"),
		cpuLine(r.roles, func(i int) float64 { return r.cpuPer(i) }, r.totalPer()), msOrUnknown(r.generatorPer()))
	sr.results = append(sr.results, r)
}

func cpuLine(roles []string, per func(int) float64, total float64) string {
	var parts []string
	for i, role := range roles {
		parts = append(parts, role+" "+msOrUnknown(per(i)))
	}
	return strings.Join(parts, ", ") + " = " + msOrUnknown(total)
}

func msOrUnknown(v float64) string {
	if v < 0 {
		return "unknown"
	}
	return strconv.FormatFloat(v, 'f', 2, 64) + " ms"
}

// median is one (system, phase)'s figures over the runs.
type median struct {
	rate, total benchrun.Series
	roles       []string
	perRole     []benchrun.Series
	failures    int64
	done        int64
	firstErr    string
	generator   benchrun.Series // the load generator's CPU per step, not in total
}

func (sr storeResults) medians(system, phase string) *median {
	var m *median
	for _, r := range sr.results {
		if r.system != system || r.phase != phase {
			continue
		}
		if m == nil {
			m = &median{roles: r.roles, perRole: make([]benchrun.Series, len(r.roles))}
		}
		m.rate = append(m.rate, r.rate())
		if t := r.totalPer(); t >= 0 {
			m.total = append(m.total, t)
		}
		if g := r.generatorPer(); g >= 0 {
			m.generator = append(m.generator, g)
		}
		for i := range r.roles {
			if c := r.cpuPer(i); c >= 0 {
				m.perRole[i] = append(m.perRole[i], c)
			}
		}
		m.failures += r.failures
		m.done += r.done
		if m.firstErr == "" {
			m.firstErr = r.firstErr
		}
	}
	return m
}

func (sr storeResults) summarize() {
	fmt.Printf("\n%s:\n", storeTitle(sr.store))
	var seen [][2]string
	for _, r := range sr.results {
		key := [2]string{r.system, r.phase}
		if slices.Contains(seen, key) {
			continue
		}
		seen = append(seen, key)
		m := sr.medians(r.system, r.phase)
		var parts []string
		for i, role := range m.roles {
			parts = append(parts, role+" "+m.perRole[i].Summary("%.2f"))
		}
		fmt.Printf("  %s %s: %s %s/s, %d failures of %d; CPU per %s (ms): %s = %s; load generator %s\n", r.system, r.phase, m.rate.Summary("%.0f"), r.unit,
			m.failures, m.done+m.failures, strings.TrimSuffix(r.unit, "s"), strings.Join(parts, ", "), m.total.Summary("%.2f"), m.generator.Summary("%.2f"))
		if m.failures > 0 {
			fmt.Printf("    first failure: %s\n", m.firstErr)
		}
	}
	ratio(sr, "first step", "first step", "first step", 1.5)
	ratio(sr, "complete resets (password written to slapd)", "complete resets (code proved, no password set)", "complete resets vs Kratos without the password", 2)
	ratio(sr, "complete resets (password written to slapd)", "complete resets with the password set (bcrypt)", "complete resets vs Kratos with the password set", 2)
}

// ratio prints sspr/Kratos for one pair of phases: CPU per step (Kratos's over sspr's: how
// many times less CPU sspr needs) first, throughput second, each against the goal.
func ratio(sr storeResults, ssprPhase, kratosPhase, title string, goal float64) {
	s, k := sr.medians("sspr", ssprPhase), sr.medians("Kratos", kratosPhase)
	if s == nil || k == nil {
		return
	}
	verdict := func(v float64) string {
		if v >= goal {
			return fmt.Sprintf("goal ≥ %.1fx met", goal)
		}
		return fmt.Sprintf("goal ≥ %.1fx NOT met", goal)
	}
	line := fmt.Sprintf("  ratio %s:", title)
	if k.failures > k.done {
		// CPU per step over a few successes carries the failures' cost: no figure to compare.
		fmt.Printf("%s no ratio: Kratos failed %d of %d (first: %s); sspr %.0f/s at %.2f ms of CPU each\n",
			line, k.failures, k.done+k.failures, k.firstErr, s.rate.Median(), s.total.Median())
		return
	}
	if s.total.Median() > 0 && len(k.total) > 0 {
		v := k.total.Median() / s.total.Median()
		line += fmt.Sprintf(" CPU per step %.2fx (Kratos %.2f ms / sspr %.2f ms; %s);", v, k.total.Median(), s.total.Median(), verdict(v))
	}
	if k.rate.Median() > 0 {
		v := s.rate.Median() / k.rate.Median()
		line += fmt.Sprintf(" throughput %.2fx (%.0f/s vs %.0f/s; %s)", v, s.rate.Median(), k.rate.Median(), verdict(v))
	} else {
		line += " throughput: Kratos completed none"
	}
	if k.failures > 0 {
		line += fmt.Sprintf("; Kratos failed %d of %d", k.failures, k.done+k.failures)
	}
	fmt.Println(line)
}

// postgres is the benchmark's own PostgreSQL server, run by scripts/testservers/postgres.sh.
type postgres struct {
	state, base string // the script's state folder; the server's URL (database "postgres")
	pid         int    // the postmaster
}

func startPostgres(ctx context.Context, state string) (*postgres, error) {
	out, err := exec.CommandContext(ctx, "scripts/testservers/postgres.sh", "start", state).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("scripts/testservers/postgres.sh start: %w\n%s", err, out)
	}
	pg := &postgres{state: state}
	env, err := os.ReadFile(filepath.Join(state, "postgres.env"))
	if err != nil {
		pg.stop()
		return nil, err
	}
	_, v, _ := strings.Cut(strings.TrimSpace(string(env)), "=")
	pg.base = strings.Trim(v, "'")
	pidText, err := os.ReadFile(filepath.Join(state, "postgres.pid"))
	if err == nil {
		pg.pid, err = strconv.Atoi(strings.TrimSpace(string(pidText)))
	}
	if err != nil || pg.base == "" {
		pg.stop()
		return nil, fmt.Errorf("postgres.sh: no URL or PID in %s (%v)", state, err)
	}
	return pg, nil
}

// url is the URL of database name on the server.
func (pg *postgres) url(name string) string {
	return strings.Replace(pg.base, "/postgres?", "/"+name+"?", 1)
}

func (pg *postgres) createDatabases(ctx context.Context, names ...string) error {
	conn, err := pgx.Connect(ctx, pg.base)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer conn.Close(ctx)
	for _, n := range names {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{n}.Sanitize()); err != nil {
			return fmt.Errorf("postgres: create %s: %w", n, err)
		}
	}
	return nil
}

// loadStatements restarts the server with pg_stat_statements loaded.
func (pg *postgres) loadStatements(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, pg.base)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	var data string
	err = conn.QueryRow(ctx, `SHOW data_directory`).Scan(&data)
	if err == nil {
		_, err = conn.Exec(ctx, `ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`)
	}
	conn.Close(ctx)
	if err != nil {
		return fmt.Errorf("postgres: pg_stat_statements: %w", err)
	}
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(bins) == 0 {
		return errors.New("postgres: no pg_ctl to restart with pg_stat_statements")
	}
	slices.Sort(bins)
	// -l: the server's output to its log file, not to pg_ctl's (which the server would hold open).
	args := []string{bins[len(bins)-1], "-D", data, "-l", filepath.Join(pg.state, "postgres.log"), "-w", "-m", "fast", "restart"}
	if os.Getuid() == 0 {
		args = append([]string{"runuser", "-u", "postgres", "--"}, args...)
	}
	if out, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput(); err != nil {
		return fmt.Errorf("postgres: restart: %w\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(data, "postmaster.pid"))
	if err == nil {
		first, _, _ := strings.Cut(string(b), "\n")
		pg.pid, err = strconv.Atoi(strings.TrimSpace(first))
	}
	if err != nil {
		return fmt.Errorf("postgres: the restarted server's PID: %w", err)
	}
	os.WriteFile(filepath.Join(pg.state, "postgres.pid"), []byte(strconv.Itoa(pg.pid)+"\n"), 0o644)
	conn, err = pgx.Connect(ctx, pg.base)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS pg_stat_statements`)
	return err
}

func (pg *postgres) reset(ctx context.Context) {
	if pg == nil {
		return
	}
	if conn, err := pgx.Connect(ctx, pg.base); err == nil {
		conn.Exec(ctx, `SELECT pg_stat_statements_reset()`)
		conn.Close(ctx)
	}
}

// print prints the statements sent to database db since the last reset, per step (steps of
// them), most execution time first.
func (pg *postgres) print(ctx context.Context, db string, steps int64) {
	if pg == nil || steps == 0 {
		return
	}
	conn, err := pgx.Connect(ctx, pg.base)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT s.calls, s.total_exec_time, s.rows, regexp_replace(s.query, '\s+', ' ', 'g')
		FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = $1 ORDER BY s.total_exec_time DESC`, db)
	if err != nil {
		fmt.Printf("    pg_stat_statements: %v\n", err)
		return
	}
	defer rows.Close()
	var calls, total float64
	var lines []string
	for rows.Next() {
		var (
			c, n  int64
			ms    float64
			query string
		)
		if rows.Scan(&c, &ms, &n, &query) != nil {
			return
		}
		calls, total = calls+float64(c), total+ms
		lines = append(lines, fmt.Sprintf("      %5.2f calls %6.3f ms  %s", float64(c)/float64(steps), ms/float64(steps), query[:min(len(query), 110)]))
	}
	fmt.Printf("    statements per start (pg_stat_statements, execution time, not CPU): %.1f calls, %.3f ms\n", calls/float64(steps), total/float64(steps))
	for _, l := range lines[:min(len(lines), 14)] {
		fmt.Println(l)
	}
}

func (pg *postgres) stop() {
	if out, err := exec.Command("scripts/testservers/postgres.sh", "stop", pg.state).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "peerbench: postgres.sh stop: %v\n%s", err, out)
	}
}
