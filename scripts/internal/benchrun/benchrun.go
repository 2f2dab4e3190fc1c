package benchrun

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Load returns the 1, 5 and 15-minute load averages of /proc/loadavg ("0.52 0.40 0.33"), or
// "unknown" where the file cannot be read.
func Load() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// userHZ is the unit of /proc/PID/stat's CPU times (USER_HZ, 100 on every Linux ABI).
const userHZ = 100

// CPU returns the user plus system CPU time process pid has used so far, from /proc/PID/stat.
func CPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("cpu of pid %d: %w", pid, err)
	}
	return parseStat(string(b))
}

// parseStat reads utime and stime (fields 14 and 15) of a /proc/PID/stat line. The command
// name (field 2) is in parentheses and may hold spaces, so fields are counted after its ')'.
func parseStat(s string) (time.Duration, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("cpu: malformed stat line %q", s)
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, fmt.Errorf("cpu: short stat line %q", s)
	}
	var ticks int64
	for _, v := range f[11:13] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("cpu: stat field %q: %w", v, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// Meter measures the CPU time processes spend between Start and Stop; a process whose /proc
// entry cannot be read counts as unknown (a negative duration).
type Meter struct {
	pids  []int
	start []time.Duration
}

// Start begins measuring pids.
func Start(pids ...int) *Meter {
	m := &Meter{pids: pids}
	for _, p := range pids {
		d, err := CPU(p)
		if err != nil {
			d = -1
		}
		m.start = append(m.start, d)
	}
	return m
}

// Stop returns the CPU time each process spent since Start, in the order given, -1 if unknown.
func (m *Meter) Stop() []time.Duration {
	out := make([]time.Duration, len(m.pids))
	for i, p := range m.pids {
		d, err := CPU(p)
		if err != nil || m.start[i] < 0 {
			out[i] = -1
			continue
		}
		out[i] = d - m.start[i]
	}
	return out
}

// Series is one figure over several runs.
type Series []float64

// Median is the middle value (the mean of the two middle ones for an even count); 0 when empty.
func (s Series) Median() float64 {
	if len(s) == 0 {
		return 0
	}
	c := slices.Clone(s)
	slices.Sort(c)
	if len(c)%2 == 1 {
		return c[len(c)/2]
	}
	return (c[len(c)/2-1] + c[len(c)/2]) / 2
}

// Summary formats the median and the range with format, "median (min–max)", or the one value
// when the range is a single value once formatted.
func (s Series) Summary(format string) string {
	if len(s) == 0 {
		return "-"
	}
	med := fmt.Sprintf(format, s.Median())
	lo, hi := fmt.Sprintf(format, slices.Min(s)), fmt.Sprintf(format, slices.Max(s))
	if lo == hi {
		return med
	}
	return fmt.Sprintf("%s (%s–%s)", med, lo, hi)
}

// Flags returns the command line's flags with their values, defaults included ("-a 1 -b x"), so
// that a benchmark's output says exactly how it was run.
func Flags(fs *flag.FlagSet) string {
	var parts []string
	fs.VisitAll(func(f *flag.Flag) {
		v := f.Value.String()
		if v == "" {
			v = `""`
		}
		parts = append(parts, "-"+f.Name+" "+v)
	})
	return strings.Join(parts, " ")
}

// TreeCPU returns the user plus system CPU time that process pid and its children have used
// so far: its own, that of its children that have ended and been waited for (cutime and
// cstime of /proc/PID/stat) and that of the children still running (with their own ended
// children). A PostgreSQL postmaster's tree is the whole server: every backend and background
// process, those that came and went during a measurement included.
func TreeCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("cpu of pid %d: %w", pid, err)
	}
	_, total, err := parseStatTree(string(b))
	if err != nil {
		return 0, err
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, fmt.Errorf("cpu of pid %d's children: %w", pid, err)
	}
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // ended meanwhile: its time is now in our cutime or lost with it
		}
		if ppid, d, err := parseStatTree(string(b)); err == nil && ppid == pid {
			total += d
		}
	}
	return total, nil
}

// parseStatTree reads the parent PID (field 4) and utime, stime, cutime and cstime (fields
// 14 to 17) of a /proc/PID/stat line.
func parseStatTree(s string) (ppid int, cpu time.Duration, err error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("cpu: malformed stat line %q", s)
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
	if len(f) < 15 {
		return 0, 0, fmt.Errorf("cpu: short stat line %q", s)
	}
	if ppid, err = strconv.Atoi(f[1]); err != nil {
		return 0, 0, fmt.Errorf("cpu: stat ppid %q: %w", f[1], err)
	}
	var ticks int64
	for _, v := range f[11:15] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("cpu: stat field %q: %w", v, err)
		}
		ticks += n
	}
	return ppid, time.Duration(ticks) * time.Second / userHZ, nil
}

// ServeConfigHead is the start of the `sspr serve` configuration both reset benchmarks write:
// the store, the benchmark's slapd (users under ou=people,suffix) and the server's listen
// address, public URL and secret file; the caller appends the rest of the server block and the
// notify, reset and log blocks.
func ServeConfigHead(store, ldapURL, bindDN, pwFile, suffix, listen, publicHost, secretFile string) string {
	return fmt.Sprintf(`store: %q
directory:
  type: openldap
  url: %s
  allowInsecure: true
  bindDN: %s
  bindPasswordFile: %s
  baseDNs: ["ou=people,%s"]
phone:
  defaultRegion: US
server:
  listen: %s
  publicURL: http://%s
  secretFile: %s
`, store, ldapURL, bindDN, pwFile, suffix, listen, publicHost, secretFile)
}
