package flow

import (
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sspr/sspr/internal/promutil"
)

// Metrics are the self-service flows' Prometheus metrics (reset, unlock, registration). A nil
// *Metrics records nothing. Every flow of one process shares them (NewMetrics on one registry
// returns the collectors already registered).
//
// No metric moves differently for a name that matches nobody: the flows record a step with the
// outcome the user sees (a decoy's code is "queued" as a real one is), and nothing that only a
// real user can reach (an outcome, a registration, a writeback) is recorded before the user
// proved who they are. There is no step duration: real and decoy steps do different work.
type Metrics struct {
	steps         *prometheus.CounterVec   // sspr_flow_steps_total{flow, step, method, outcome}
	outcomes      *prometheus.CounterVec   // sspr_flow_outcomes_total{flow, methods, outcome}
	codes         *prometheus.CounterVec   // sspr_flow_codes_total{flow, channel, result}
	throttled     *prometheus.CounterVec   // sspr_flow_throttled_total{flow, step}
	lockouts      *prometheus.CounterVec   // sspr_flow_lockouts_total{flow, scope}
	registrations *prometheus.CounterVec   // sspr_registrations_total{method}
	writeback     *prometheus.HistogramVec // sspr_writeback_seconds{op, result}
}

// Flow names (the flow label).
const (
	FlowReset    = "reset"
	FlowUnlock   = "unlock"
	FlowRegister = "register"
)

// Code results (sspr_flow_codes_total's result label).
const (
	CodeQueued    = "queued"    // issued and queued in the outbox (a decoy's too: it looks sent)
	CodeThrottled = "throttled" // refused by the per-user send limit
	CodeFailed    = "failed"    // could not be queued
)

// Writeback operations (sspr_writeback_seconds's op label).
const (
	OpSetPassword = "setPassword"
	OpUnlock      = "unlock"
)

// NewMetrics registers the flows' metrics on reg (nil: not registered) and returns them.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		steps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sspr_flow_steps_total",
			Help: "Steps of the self-service flows by flow (reset, unlock, register), step, method and outcome (ok, or the kind of error the user saw: input, session, conflict, throttled, proof, password, directory, signIn, forbidden, notice, error).",
		}, []string{"flow", "step", "method", "outcome"}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sspr_flow_outcomes_total",
			Help: "Ends of reset and unlock flows whose user proved who they are, by flow, the methods proven (sorted, joined by +) and outcome (done, refused, unknown, notLocked).",
		}, []string{"flow", "methods", "outcome"}),
		codes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sspr_flow_codes_total",
			Help: "One-time codes of the flows by flow, channel (email, sms, voice) and result (queued, throttled, failed). Deliveries are sspr_notify_messages_total.",
		}, []string{"flow", "channel", "result"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sspr_flow_throttled_total",
			Help: "Steps refused by a throttle or a lock, by flow and step.",
		}, []string{"flow", "step"}),
		lockouts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sspr_flow_lockouts_total",
			Help: "Lockouts after failed proofs, by flow and scope (the user or the client IP).",
		}, []string{"flow", "scope"}),
		registrations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sspr_registrations_total",
			Help: "Registrations at /register by what was registered (authenticationPhone, authenticationEmail, questions, confirmed).",
		}, []string{"method"}),
		writeback: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sspr_writeback_seconds",
			Help:    "Duration of directory writes of the flows by operation (setPassword, unlock) and result (ok, or the directory's reason).",
			Buckets: []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}, []string{"op", "result"}),
	}
	if reg != nil {
		m.steps = register(reg, m.steps)
		m.outcomes = register(reg, m.outcomes)
		m.codes = register(reg, m.codes)
		m.throttled = register(reg, m.throttled)
		m.lockouts = register(reg, m.lockouts)
		m.registrations = register(reg, m.registrations)
		m.writeback = register(reg, m.writeback)
	}
	return m
}

// register registers c on reg, or returns the collector already registered under its name.
// Another error panics: a name registered with other labels is a programming error.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	c, err := promutil.Register(reg, c)
	if err != nil {
		panic(err)
	}
	return c
}

// Outcome is the outcome label of a step that returned err: "ok", the kind of the user error,
// or "error" for an internal failure.
func Outcome(err error) string {
	if err == nil {
		return "ok"
	}
	if e := AsError(err); e != nil {
		if s, ok := kindNames[e.Kind]; ok {
			return s
		}
	}
	return "error"
}

var kindNames = map[Kind]string{
	KindInput: "input", KindSession: "session", KindConflict: "conflict", KindThrottled: "throttled",
	KindProof: "proof", KindPassword: "password", KindDirectory: "directory", KindSignIn: "signIn",
	KindForbidden: "forbidden", KindNotice: "notice",
}

// metricMethod bounds a method label: one of the product's methods (or "phone"), else "other"
// ("" stays "").
func metricMethod(m string) string {
	switch m = strings.TrimSuffix(m, "-office"); m {
	case "", MethodEmail, MethodSMS, MethodVoice, MethodQuestions, "phone": // phone: registration's number, by SMS or call
		return m
	}
	return "other"
}

func metricFlow(f string) string {
	switch f {
	case FlowReset, FlowUnlock, FlowRegister:
		return f
	}
	return "other"
}

// Step records a step of flow that returned err (method: the method it concerned, or "").
func (m *Metrics) Step(flow, step, method string, err error) {
	if m == nil {
		return
	}
	flow, outcome := metricFlow(flow), Outcome(err)
	m.steps.WithLabelValues(flow, step, metricMethod(method), outcome).Inc()
	if outcome == "throttled" {
		m.throttled.WithLabelValues(flow, step).Inc()
	}
}

// Code records a code of flow for channel with result (CodeQueued, ...).
func (m *Metrics) Code(flow, channel, result string) {
	if m == nil {
		return
	}
	m.codes.WithLabelValues(metricFlow(flow), metricMethod(channel), result).Inc()
}

// Lockout records a lockout of flow; scope is "user" or "ip".
func (m *Metrics) Lockout(flow, scope string) {
	if m == nil {
		return
	}
	if scope != "ip" {
		scope = "user"
	}
	m.lockouts.WithLabelValues(metricFlow(flow), scope).Inc()
}

// FlowOutcome records the end of a proven reset or unlock flow: the option IDs verified and
// the outcome (done, refused, unknown, notLocked).
func (m *Metrics) FlowOutcome(flow string, verified []string, outcome string) {
	if m == nil {
		return
	}
	m.outcomes.WithLabelValues(metricFlow(flow), MethodsLabel(verified), outcome).Inc()
}

// MethodsLabel is the methods of option IDs, distinct, sorted, joined by "+" ("email+sms").
func MethodsLabel(optionIDs []string) string {
	var ms []string
	for _, id := range optionIDs {
		if m := metricMethod(id); m != "" && !slices.Contains(ms, m) {
			ms = append(ms, m)
		}
	}
	slices.Sort(ms)
	return strings.Join(ms, "+")
}

// Registration records a registration (authenticationPhone, authenticationEmail, questions,
// confirmed).
func (m *Metrics) Registration(what string) {
	if m == nil {
		return
	}
	m.registrations.WithLabelValues(what).Inc()
}

// Writeback records a directory write of op that took d; reason is "ok" or the directory's
// reason (tooShort, unavailable, ...).
func (m *Metrics) Writeback(op string, d time.Duration, reason string) {
	if m == nil {
		return
	}
	m.writeback.WithLabelValues(op, reason).Observe(d.Seconds())
}
