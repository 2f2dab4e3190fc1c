package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/sspr/sspr/internal/api"
	"github.com/sspr/sspr/internal/branding"
	"github.com/sspr/sspr/internal/change"
	"github.com/sspr/sspr/internal/config"
	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/i18n"
	"github.com/sspr/sspr/internal/notify"
	"github.com/sspr/sspr/internal/notify/console"
	"github.com/sspr/sspr/internal/notify/file"
	"github.com/sspr/sspr/internal/notify/smtp"
	"github.com/sspr/sspr/internal/notify/twilio"
	"github.com/sspr/sspr/internal/notify/webhook"
	"github.com/sspr/sspr/internal/phone"
	"github.com/sspr/sspr/internal/questions"
	"github.com/sspr/sspr/internal/register"
	"github.com/sspr/sspr/internal/reset"
	"github.com/sspr/sspr/internal/secret"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/syncer"
	"github.com/sspr/sspr/internal/web"
	"github.com/sspr/sspr/internal/writeback"
)

func newServeCmd(g *globals) *cobra.Command {
	var noSync bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the password reset pages, deliver messages and sync on schedule",
		Long: `Serves the end-user pages (reset at /reset, unlock at /unlock, registration at /register,
health at /healthz) and the administrators' REST API (/api/v1/, bearer tokens from sspr token
create) on server.listen, Prometheus metrics at /metrics on server.metricsListen (loopback by
default, never the public listener), delivers queued email/SMS/voice messages, and syncs the
directory every sync.interval (unless --no-sync). Instances that share a PostgreSQL store take
turns: the sync and housekeeping run on one of them at a time. With server.tlsCertFile it serves
TLS and HTTP/2; SIGHUP reloads the certificate without dropping connections; SIGTERM lets the
requests in flight finish, then exits 0. It refuses to start on a configuration that sspr config
validate refuses.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := g.open(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			problems, warnings := a.cfg.CheckServe()
			for _, w := range warnings {
				a.log.Warn("configuration", "key", w.Key, "warning", w.Message)
			}
			if len(problems) > 0 {
				return &config.Error{Problems: problems}
			}
			key, err := secret.Load(a.cfg.Server.SecretFile)
			if err != nil {
				return &config.Error{Problems: []config.Problem{{Key: "server.secretFile", Message: err.Error()}}}
			}
			return serve(cmd.Context(), a, key, serveOptions{sync: !noSync, out: cmd.OutOrStdout()})
		},
	}
	cmd.Flags().BoolVar(&noSync, "no-sync", false, "do not sync the directory on schedule (a timer or other instances do; instances on one PostgreSQL already take turns)")
	return cmd
}

type serveOptions struct {
	sync bool
	out  io.Writer // console channel output
	// ready, when set, receives the listening address once the server accepts connections.
	ready func(addr string)
}

// serve runs the web server, the outbox worker, housekeeping and the sync schedule until ctx ends.
func serve(ctx context.Context, a *app, key secret.Key, opts serveOptions) error {
	cfg := a.cfg
	reg := prometheus.NewRegistry()
	flowMetrics, err := registerMetrics(reg, a)
	if err != nil {
		return err
	}

	sealer, err := notify.NewSealer(key.Derive("outbox"))
	if err != nil {
		return err
	}
	// The organization's look on the pages and in mails (Load checked it; the files are read
	// again here).
	brand, err := branding.New(cfg.Branding, cfg.Server.PublicURL)
	if err != nil {
		return err
	}
	channels, err := buildChannels(cfg.Notify, opts.out, brand)
	if err != nil {
		return err
	}
	outbox := notify.NewOutbox(a.store, sealer, time.Now)
	wopts := notify.WorkerOptions{Registerer: reg, Lease: testDuration(a, outboxLeaseEnv)}
	if cfg.Notifications.On() {
		wopts.Failed = countDeliveryFailure(a)
	}
	worker := notify.NewWorker(a.store, sealer, channels, wopts, a.log)

	dir, err := newWriteback(cfg)
	if err != nil {
		return err
	}
	cc := phone.CountryCodeForRegion(cfg.Phone.DefaultRegion)
	// Security questions: one catalog and one bounded hasher for the reset flow and the portal.
	qcat, err := questions.NewCatalog(cfg.Reset.Questions.Custom)
	if err != nil {
		return err
	}
	var pepper []byte
	if cfg.Reset.Questions.Peppered() {
		pepper = key.Derive("answers")
	}
	hasher := questions.NewHasher(questions.HasherOptions{Pepper: pepper, MaxConcurrent: cfg.Reset.Questions.MaxConcurrentHashes})
	phones, err := phone.NewNormalizer(cfg.Phone.DefaultRegion)
	if err != nil {
		return err
	}
	sender := &queueSender{outbox: outbox, worker: worker}
	// Numbers held by many users are not offered for reset (flow.Methods): an index of who
	// holds each number, rebuilt every five minutes.
	var holders func(string) int
	if pol := cfg.Reset.WithDefaults(); !pol.SharedNumbers.Allow {
		h := flow.NewHolders(pol.SharedNumbers.Max)
		h.Refresh(ctx, a.store, 5*time.Minute, func(err error) { a.log.Error("shared numbers index", "err", err) })
		holders = h.Count
	}
	// Decoy pages are drawn from what real users' pages show, rebuilt every five minutes.
	decoys := &reset.Decoys{}
	decoys.Refresh(ctx, a.store, cfg.Reset, holders, 5*time.Minute, func(err error) { a.log.Error("decoy model", "err", err) })
	// Every text users read, in their language (Load checked the overrides).
	texts, err := i18n.New(cfg.I18N)
	if err != nil {
		return err
	}
	svc := reset.New(a.store, sender, dir, reset.Config{
		Texts:              texts,
		Policy:             cfg.Reset,
		Password:           cfg.Password,
		CodeKey:            key.Derive("code-mac"),
		DecoyKey:           key.Derive("decoy"),
		DefaultCountryCode: cc,
		CompanyName:        cfg.Branding.CompanyName,
		PublicURL:          cfg.Server.PublicURL,
		Questions:          qcat,
		Hasher:             hasher,
		Holders:            holders,
		Decoys:             decoys,
		Metrics:            flowMetrics,
	}, a.log)
	portal := register.New(a.store, sender, dir, register.Config{
		Policy:      cfg.Registration,
		Reset:       cfg.Reset,
		Questions:   qcat,
		Hasher:      hasher,
		Phones:      phones,
		CodeKey:     key.Derive("register-code-mac"),
		NameKey:     key.Derive("decoy"),
		CompanyName: cfg.Branding.CompanyName,
		PublicURL:   cfg.Server.PublicURL,
		Texts:       texts,
		Metrics:     flowMetrics,
	}, a.log)
	changer := change.New(a.store, sender, dir, change.Config{
		Policy:      cfg.Reset,
		Password:    cfg.Password,
		NameKey:     key.Derive("decoy"), // the reset and registration flows' name key
		CompanyName: cfg.Branding.CompanyName,
		Texts:       texts,
	}, a.log)
	site, err := web.New(web.Config{
		PublicURL:       cfg.Server.PublicURL,
		TLS:             cfg.Server.TLSCertFile != "",
		ClientIP:        cfg.Server.ClientIP(),
		Brand:           brand,
		CSRFKey:         key.Derive("csrf"),
		ResponseFloor:   cfg.Reset.ResponseFloor,
		SessionLifetime: cfg.Reset.SessionLifetime,
		Registration:    portal,
		Change:          changer,
		// A reset that must be changed at next logon links to /change.
		MustChangeAfterReset: cfg.Reset.MustChangeAfterReset,
		DebugTiming:          cfg.Server.DebugTiming,
		Texts:                texts,
	}, svc, a.log)
	if err != nil {
		return err
	}
	metrics, err := listenMetrics(cfg.Server.MetricsListen, a.log)
	if err != nil {
		return err
	}
	apiHandler, err := newAPI(ctx, a)
	if err != nil {
		return err
	}
	defer apiHandler.Wait() // a sync run started through the API ends before the store closes
	site.Handle(api.Prefix, apiHandler)
	// Readiness (/readyz) for load balancers and orchestrators: the store accepts a write, the
	// outbox delivers, and (with a directory) a sync succeeded within three intervals.
	ready := web.ReadyConfig{Store: a.store}
	if cfg.Directory.URL != "" || cfg.Directory.File != "" {
		ready.MaxSyncAge = 3 * cfg.Sync.Interval
	}
	site.Handle("GET /readyz", web.Ready(ready))
	if cfg.Console.On() { // the administrators' console at /admin
		con, err := newConsole(ctx, a, key, sender, dir, texts)
		if err != nil {
			return err
		}
		defer con.Wait()
		mountConsole(site, con)
	}

	var certs *certReloader
	if cfg.Server.TLSCertFile != "" {
		if certs, err = newCertReloader(cfg.Server.TLSCertFile, cfg.Server.TLSKeyFile); err != nil {
			return &config.Error{Problems: []config.Problem{{Key: "server.tlsCertFile", Message: err.Error()}}}
		}
	}
	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	srv := &http.Server{
		Handler:           site.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	if certs != nil {
		srv.TLSConfig = certs.tlsConfig() // HTTP/2 by ALPN, as net/http does for ServeTLS
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 1)
	wg.Go(func() {
		var err error
		if certs != nil {
			err = srv.ServeTLS(ln, "", "") // the certificate comes from certs.get
		} else {
			err = srv.Serve(ln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("serve: %w", err)
			cancel()
		}
	})
	wg.Go(func() {
		if err := worker.Run(ctx); err != nil {
			a.log.Error("outbox worker", "err", err)
		}
	})
	if metrics != nil {
		msrv := &http.Server{Handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), ReadHeaderTimeout: 10 * time.Second}
		wg.Go(func() {
			if err := msrv.Serve(metrics); err != nil && !errors.Is(err, http.ErrServerClosed) {
				a.log.Error("metrics", "err", err)
			}
		})
		wg.Go(func() {
			<-ctx.Done()
			msrv.Close()
		})
	}
	// Several instances may share a PostgreSQL store: housekeeping and the scheduled sync run
	// on the one holding each job's lease (store.Leader); with SQLite this process leads.
	interval := syncInterval(a)
	retry := min(leaseRetry, interval)
	lead := func(job string, run func(ctx context.Context)) {
		wg.Go(func() {
			err := store.Lead(ctx, a.store, job, retry, a.log, func(ctx context.Context) {
				a.log.Info("leading", "job", job)
				run(ctx)
			})
			if err != nil {
				a.log.Error("lease", "job", job, "err", err)
			}
		})
	}
	lead("housekeeping", func(ctx context.Context) { housekeeping(ctx, a) })
	if cfg.Reminders.On() {
		lead("reminders", func(ctx context.Context) { reminderLoop(ctx, a, outbox, worker) })
	}
	if cfg.Notifications.On() {
		lead("alerts", func(ctx context.Context) { alertLoop(ctx, a, outbox, worker) })
	}
	if opts.sync {
		lead("sync", func(ctx context.Context) { syncLoop(ctx, a, interval) })
	}
	wg.Go(func() { reloadOnHangup(ctx, certs, a.log) })
	a.log.Info("serving", "listen", ln.Addr().String(), "publicURL", cfg.Server.PublicURL)
	if opts.ready != nil {
		opts.ready(ln.Addr().String())
	}
	<-ctx.Done()
	// SIGTERM or SIGINT: stop accepting, let the requests in flight (a writeback included)
	// answer, then return; a request still running after shutdownGrace is cut.
	a.log.Info("shutting down: finishing the requests in flight", "grace", shutdownGrace)
	shutdown, cancelShutdown := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancelShutdown()
	if err := srv.Shutdown(shutdown); err != nil {
		a.log.Warn("shutdown: requests cut", "err", err)
	}
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}

// queueSender queues a reset message in the outbox and wakes the worker.
type queueSender struct {
	outbox *notify.Outbox
	worker *notify.Worker
}

func (q *queueSender) Send(ctx context.Context, m flow.Message) error {
	if _, err := q.outbox.Send(ctx, notifyMessage(m)); err != nil {
		return err
	}
	q.worker.Notify()
	return nil
}

// Prepare and Queued make queueSender a flow.StepSender: the send step writes the message
// with its session and code.
func (q *queueSender) Prepare(m flow.Message) (*store.Message, error) {
	return q.outbox.Prepare(notifyMessage(m))
}
func (q *queueSender) Queued() { q.worker.Notify() }

var _ flow.StepSender = (*queueSender)(nil)

func notifyMessage(m flow.Message) notify.Message {
	return notify.Message{Channel: m.Channel, To: m.To, Subject: m.Subject, Body: m.Body, Language: m.Language}
}

// buildChannels chooses each channel's provider: its own, else the file, else the console.
// Mails go out in brand's look.
func buildChannels(n config.Notify, out io.Writer, brand *branding.Brand) (map[string]notify.Channel, error) {
	channels := map[string]notify.Channel{}
	var fallback []notify.Channel
	if n.File != "" {
		f, err := file.New(file.Config{Path: n.File})
		if err != nil {
			return nil, fmt.Errorf("notify.file: %w", err)
		}
		fallback = append(fallback, f)
	}
	if n.Console {
		fallback = append(fallback, console.New(out))
	}
	for name, ch := range map[string]config.NotifyChannel{"email": n.Email, "sms": n.SMS, "voice": n.Voice} {
		var c notify.Channel
		var err error
		switch {
		case ch.SMTP != nil:
			sc := *ch.SMTP
			sc.Brand = brand
			c, err = smtp.New(sc)
		case ch.Twilio != nil:
			c, err = twilio.New(*ch.Twilio)
		case ch.Webhook != nil:
			c, err = webhook.New(*ch.Webhook)
		case len(fallback) > 0:
			c = fanout(fallback)
		default:
			continue // messages of this channel fail with "no channel configured"
		}
		if err != nil {
			return nil, fmt.Errorf("notify.%s: %w", name, err)
		}
		channels[name] = c
	}
	return channels, nil
}

// fanout delivers to every channel (file and console together in the demo).
type fanout []notify.Channel

func (f fanout) Send(ctx context.Context, m notify.Message) error {
	var errs []error
	for _, c := range f {
		errs = append(errs, c.Send(ctx, m))
	}
	return errors.Join(errs...)
}

// flowDirectory is what the reset flow and the registration portal need of the directory.
type flowDirectory interface {
	reset.Directory
	register.Directory
	change.Directory
}

// newWriteback connects the flows to the directory for writeback. A directory read from an
// export file cannot be written (resets then fail with a clear message) nor check passwords.
func newWriteback(cfg config.Config) (flowDirectory, error) {
	d := cfg.Directory
	if d.URL == "" {
		return readOnlyDirectory{}, nil
	}
	return writeback.New(writeback.Config{Kind: d.Type, Endpoint: d.Endpoint, MustChangeAfterReset: cfg.Reset.MustChangeAfterReset})
}

type readOnlyDirectory struct{}

type notPermitted struct{}

func (notPermitted) Error() string {
	return "the directory is read from an export file: passwords cannot be written back"
}
func (notPermitted) Reason() string { return "notPermitted" }

func (readOnlyDirectory) SetPassword(context.Context, string, string) error { return notPermitted{} }
func (readOnlyDirectory) Unlock(context.Context, string) error              { return notPermitted{} }
func (readOnlyDirectory) IsLocked(context.Context, string) (bool, error) {
	return false, notPermitted{}
}
func (readOnlyDirectory) Authenticate(context.Context, string, string) error { return notPermitted{} }
func (readOnlyDirectory) ChangePassword(context.Context, string, string, string) error {
	return notPermitted{}
}
func (readOnlyDirectory) IsMember(context.Context, string, string) (bool, error) {
	return false, nil
}

const (
	// shutdownGrace is how long requests in flight have to finish at SIGTERM: the server's
	// write timeout, so that a request that may run is never cut short.
	shutdownGrace = 60 * time.Second
	// leaseRetry is how often an instance that does not lead a job tries to take it over.
	leaseRetry = 15 * time.Second
	// syncIntervalEnv overrides sync.interval below the configuration's minimum of 1m, and
	// outboxLeaseEnv the outbox lease (2 min), for the multi-instance tests only
	// (undocumented).
	syncIntervalEnv = "SSPR_TEST_SYNC_INTERVAL"
	outboxLeaseEnv  = "SSPR_TEST_OUTBOX_LEASE"
)

// syncInterval is sync.interval, or SSPR_TEST_SYNC_INTERVAL when set (tests).
func syncInterval(a *app) time.Duration {
	if d := testDuration(a, syncIntervalEnv); d > 0 {
		return d
	}
	return a.cfg.Sync.Interval
}

// testDuration is the duration in the environment variable name, or 0.
func testDuration(a *app, name string) time.Duration {
	d, err := time.ParseDuration(os.Getenv(name))
	if err != nil || d <= 0 {
		return 0
	}
	a.log.Warn("overridden for a test", "env", name, "value", d)
	return d
}

// reloadOnHangup reads the TLS certificate and key again at each SIGHUP until ctx ends;
// connections already open keep the certificate they started with.
func reloadOnHangup(ctx context.Context, certs *certReloader, log *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		switch {
		case certs == nil:
			log.Info("SIGHUP: no TLS certificate to reload (server.tlsCertFile is not set)")
		default:
			if err := certs.reload(); err != nil {
				log.Error("SIGHUP: TLS certificate not reloaded; the previous one stays", "err", err)
				continue
			}
			log.Info("SIGHUP: TLS certificate reloaded", "certFile", certs.certFile)
		}
	}
}

// housekeeping removes expired sessions, codes and throttle events every minute, and hourly the
// audit events older than audit.retention (pruneAudit).
func housekeeping(ctx context.Context, a *app) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	var pruned time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			// Keep a day of throttle history: the longest default window is 24 h.
			if err := a.store.DeleteExpired(ctx, time.Now().Add(-48*time.Hour)); err != nil && ctx.Err() == nil {
				a.log.Error("housekeeping", "err", err)
			}
			keepInsights(ctx, a, time.Now()) // before pruning: a day is counted before its events go
			if time.Since(pruned) >= time.Hour {
				pruneAudit(ctx, a, time.Now())
				pruned = time.Now()
			}
		}
	}
}

// syncLoop syncs now and every interval (sync.interval), while this instance leads.
func syncLoop(ctx context.Context, a *app, interval time.Duration) {
	eng, err := a.engine()
	if err != nil {
		a.log.Error("sync disabled", "err", err)
		<-ctx.Done() // keep the lease: another instance would fail alike
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := eng.Run(ctx, syncer.Options{}); err != nil && ctx.Err() == nil {
			a.log.Error("scheduled sync failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// listenMetrics opens server.metricsListen: nil for "none", and nil (with a warning) when the
// default address is busy, as with a second instance on one host. A configured address that
// cannot be opened is an error.
func listenMetrics(addr string, log *slog.Logger) (net.Listener, error) {
	if addr == config.NoMetrics {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	switch {
	case err == nil:
		log.Info("metrics", "listen", ln.Addr().String())
		return ln, nil
	case addr == config.DefaultMetricsListen:
		log.Warn("metrics not served: the default address is busy; set server.metricsListen", "listen", addr, "err", err)
		return nil, nil
	default:
		return nil, &config.Error{Problems: []config.Problem{{Key: "server.metricsListen", Message: err.Error()}}}
	}
}
