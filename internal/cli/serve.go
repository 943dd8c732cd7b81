package cli

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/inferd/inferd/app"
	"github.com/inferd/inferd/auth"
	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/internal/gctune"
	"github.com/inferd/inferd/internal/memlimit"
	"github.com/inferd/inferd/internal/tlsreload"
	"github.com/inferd/inferd/monitor/drift"
	"github.com/inferd/inferd/preprocess"
	"github.com/inferd/inferd/repository"
	"github.com/inferd/inferd/repository/bucket"
	"github.com/inferd/inferd/server"
	"github.com/inferd/inferd/serving"
)

type serveOptions struct {
	repository   string
	httpAddr     string
	grpcAddr     string
	grpcMaxMsg   int
	engine       string
	threads      int
	maxBody      int64
	maxPixels    int
	maxReqMem    int64
	maxFlightMem int64
	drainTimeout time.Duration
	modelControl string
	pollInterval time.Duration
	settle       time.Duration
	loadTimeout  time.Duration
	maxRunRows   int
	readiness    string
	mgmtAddr     string
	ui           string
	cacheDir     string
	maxTensor    int64
	maxModel     int64
	debugAddr    string
	addrFile     string
	gcHeadroom   uint64
	accessLog    string
	accessSample int
	auth         authOptions
	log          logOptions
	security     securityOptions
	monitor      monitorOptions
}

// securityOptions are the flags of TLS, connection timeouts, request
// limits and shutdown (docs/security.md).
type securityOptions struct {
	tls               tlsreload.Files
	readTimeout       time.Duration
	readHeaderTimeout time.Duration
	idleTimeout       time.Duration
	grpcConnTimeout   time.Duration
	rateLimit         float64
	rateBurst         int
	rateKey           string
	maxInflight       int
	shutdownDelay     time.Duration
}

// register adds the flags to fs.
func (o *securityOptions) register(fs *pflag.FlagSet) {
	fs.StringVar(&o.tls.Cert, "tls-cert", "", "serve HTTP, gRPC and --debug-addr over TLS with this certificate (PEM, leaf first); reloaded when the file changes")
	fs.StringVar(&o.tls.Key, "tls-key", "", "the private key of --tls-cert (PEM); reloaded when the file changes")
	fs.StringVar(&o.tls.ClientCA, "tls-client-ca", "", "require every client to present a certificate signed by one of these CAs (PEM bundle): mutual TLS; needs --tls-cert")
	fs.DurationVar(&o.readTimeout, "read-timeout", server.DefaultReadTimeout, "how long an HTTP client has to send a whole request, headers and body (a slower body is cut); 0 turns it off")
	fs.DurationVar(&o.readHeaderTimeout, "read-header-timeout", server.DefaultReadHeaderTimeout, "how long an HTTP client has to send a request's headers")
	fs.DurationVar(&o.idleTimeout, "idle-timeout", server.DefaultIdleTimeout, "how long an idle HTTP keep-alive connection stays open")
	fs.DurationVar(&o.grpcConnTimeout, "grpc-connection-timeout", server.DefaultGRPCConnectionTimeout, "how long a new gRPC connection has to finish its TLS handshake and HTTP/2 preface before it is closed")
	fs.Float64Var(&o.rateLimit, "rate-limit", 0, "requests per second each client may send (token bucket; over it: 429 with Retry-After); 0 turns the limit off. Probes are never limited")
	fs.IntVar(&o.rateBurst, "rate-burst", 20, "requests a client may send at once above --rate-limit")
	fs.StringVar(&o.rateKey, "rate-limit-key", string(server.RateKeyClient), "what --rate-limit counts by: client (the Inferd-Client-Id header, else the remote address) or ip (the remote address; IPv6 by /64)")
	fs.IntVar(&o.maxInflight, "max-inflight-requests", 0, "requests served at once, past which requests get 429 with Retry-After at once; 0 is no cap. Probes are never limited")
	fs.DurationVar(&o.shutdownDelay, "shutdown-delay", 5*time.Second, "on SIGTERM, how long the server reports not ready but keeps serving, new connections included, before it drains (for load balancers and Kubernetes endpoints to stop sending requests)")
}

// options checks the flags and returns them as server options, with the
// TLS configuration (nil without TLS).
func (o securityOptions) options(log *slog.Logger) ([]server.Option, *tls.Config, error) {
	if o.rateLimit < 0 || o.rateBurst < 1 || o.maxInflight < 0 {
		return nil, nil, errors.New("--rate-limit and --max-inflight-requests must not be negative, and --rate-burst must be 1 or more")
	}
	if o.rateKey != string(server.RateKeyClient) && o.rateKey != string(server.RateKeyIP) {
		return nil, nil, fmt.Errorf("--rate-limit-key: %q is not client or ip", o.rateKey)
	}
	if o.shutdownDelay < 0 || o.readHeaderTimeout <= 0 || o.idleTimeout <= 0 || o.grpcConnTimeout <= 0 || o.readTimeout < 0 {
		return nil, nil, errors.New("--shutdown-delay and --read-timeout must not be negative; --read-header-timeout, --idle-timeout and --grpc-connection-timeout must be positive")
	}
	tlsCfg, err := o.tls.Config(tlsreload.WithLogger(log))
	if err != nil {
		return nil, nil, fmt.Errorf("--tls-cert, --tls-key, --tls-client-ca: %w", err)
	}
	read := o.readTimeout
	if read == 0 {
		read = -1 // off
	}
	return []server.Option{
		server.WithHTTPTimeouts(read, o.readHeaderTimeout, o.idleTimeout),
		server.WithGRPCConnectionTimeout(o.grpcConnTimeout),
		server.WithRateLimit(o.rateLimit, o.rateBurst, server.RateKey(o.rateKey)),
		server.WithMaxInflightRequests(o.maxInflight),
		server.WithTLSConfig(tlsCfg),
	}, tlsCfg, nil
}

// repositorySource opens an object-storage repository; nil for a
// directory, which app opens itself.
func (o serveOptions) repositorySource(ctx context.Context, log *slog.Logger) (repository.Source, error) {
	if !bucket.IsURL(o.repository) {
		return nil, nil
	}
	opts := []bucket.Option{bucket.WithPollInterval(o.pollInterval), bucket.WithLogger(log)}
	if o.cacheDir != "" {
		opts = append(opts, bucket.WithCacheDir(o.cacheDir))
	}
	src, err := bucket.Open(ctx, o.repository, opts...)
	if err != nil {
		return nil, fmt.Errorf("--repository: %w", err)
	}
	return src, nil
}

// registerModels registers the flags of how models are loaded, followed
// and bounded, and when the server counts as ready.
func (o *serveOptions) registerModels(fs *pflag.FlagSet) {
	fs.StringVar(&o.modelControl, "model-control", "poll", "poll: follow the repository (new versions, removed versions, config changes); explicit: load and unload only through POST /v2/repository/models/{name}/load|unload")
	fs.DurationVar(&o.pollInterval, "poll-interval", repository.DefaultPollInterval, "how often the repository is re-read besides file notifications (the fallback where they are unavailable)")
	fs.DurationVar(&o.settle, "settle", time.Second, "how long a new model file must keep its size and modification time before it loads")
	fs.StringVar(&o.readiness, "readiness", serving.ReadyLoaded, "when the server is ready (/readyz, v2 and gRPC health): loaded (every model that has served since start serves now, and one at least: a bad upload does not take the replica out of its Service), all (every model), any (one model), or a comma-separated list of models that must serve")
	fs.IntVar(&o.maxRunRows, "max-run-rows", serving.DefaultMaxRunRows, "the most rows one engine run takes for models whose inputs and outputs all have a variable first dimension: larger requests run in slices, so the engine's working memory does not grow with the request; 0 for no bound (a model's max_run_rows overrides it)")
	fs.DurationVar(&o.loadTimeout, "load-timeout", serving.DefaultLoadTimeout, "how long loading one model version may take (reading, opening sessions, warmup) before it is abandoned and marked FAILED; other models load meanwhile; 0 for no limit")
	fs.Int64Var(&o.maxTensor, "max-tensor-bytes", engine.DefaultMaxTensorBytes, "largest tensor an engine allocates from values a request (or a model's constants) decide, such as ConstantOfShape or Expand shapes, in bytes; a request asking for more fails with 400; -1 for no limit")
	fs.Int64Var(&o.maxModel, "max-model-bytes", engine.DefaultMaxModelBytes, "most memory one model may take while it loads (its initializers, sized before external data is read, and constant folding), in bytes; a model over it fails to load; -1 for no limit")
}

// authOptions are the credentials serve accepts.
type authOptions struct {
	tokens, jwks, issuer, audience string
}

func newServeCmd() *cobra.Command {
	o := serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the models of a model repository over HTTP and gRPC",
		Long: `Serve loads the versions each model's version policy selects (by default the
latest) and follows the repository: a new version directory loads once its
model.onnx has kept the same size for --settle, and replaces the old version only
once it is AVAILABLE; removed versions drain and unload; a changed config.yaml is
applied, or rejected with the old one kept. It serves them on the seed routes:

  GET  /models                       models, versions and their states
  GET  /models/{name}                one model; its default is the highest AVAILABLE version
  GET  /models/{name}/{version}      a version's metadata (version: 3, v3 or a label)
  POST /models/{name}/{version}      predict: an image (image/png, image/jpeg), several
                                     images (multipart/form-data) or JSON tensors
  POST /models/{name}                predict on the default version, or the traffic split
  PUT|DELETE /models/{name}/labels/{label}   move a label ({"version": 3}) or drop it
  PUT|DELETE /models/{name}/traffic  split the unversioned route ({"3": 90, "4": 10})
  GET  /healthz, /readyz, /metrics   liveness, readiness, Prometheus metrics

and on the standard protocols:

  /v2/...                            Open Inference Protocol (KServe v2) over REST, with
                                     the binary tensor data and classification extensions
  --grpc-addr                        the same over gRPC (inference.GRPCInferenceService),
                                     plus the gRPC health service and server reflection
  /v1/models/...                     TensorFlow Serving's REST API (:predict, :classify,
                                     :regress, status and metadata)

With --auth-tokens or --auth-jwks, every route but health and readiness needs a
bearer token (Authorization: Bearer <token>) holding the route's scope: read
(listings, metadata, status), predict (inference; predict:PATTERN for some models),
manage (labels, traffic, repository load/unload/index) or metrics. Missing or bad
credentials get 401, a missing scope 403. Without either flag every route is open
but management, which is open only when --http-addr is a loopback address.

On SIGINT or SIGTERM the server turns not-ready, keeps serving for
--shutdown-delay (so that load balancers stop sending it requests), finishes
requests in flight and exits 0.

With --tls-cert and --tls-key every listener serves TLS (the pair is reloaded
when the files change); --tls-client-ca requires client certificates (mutual
TLS). docs/security.md lists every limit and its default.`,
		Example: `  inferd serve --repository examples/models --http-addr 127.0.0.1:8080
  INFERD_REPOSITORY=/models INFERD_HTTP_ADDR=:8080 inferd serve`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runServe(cmd.Context(), o) },
	}
	fs := cmd.Flags()
	fs.StringVar(&o.repository, "repository", "models", "model repository: a directory, or object storage (s3://BUCKET/PREFIX, gs://..., azblob://..., file:///DIR) where versions appear once their inferd.sha256 marker is written (docs/scaling.md)")
	fs.StringVar(&o.cacheDir, "cache-dir", "", "with an object-storage repository, where model files are cached, verified, by checksum; files of retired versions are removed (default: inferd/models in the user's cache directory, where only the files this server used are removed)")
	fs.StringVar(&o.httpAddr, "http-addr", "127.0.0.1:8080", "HTTP listen address (host:port; :8080 for all interfaces)")
	fs.StringVar(&o.grpcAddr, "grpc-addr", "127.0.0.1:8081", "gRPC listen address (host:port); empty disables gRPC")
	fs.StringVar(&o.mgmtAddr, "management-addr", "", "if set, serve the management routes (labels, traffic, repository load/unload/index) on this address only, and no inference there; without credentials they are open only if it is a loopback address")
	fs.StringVar(&o.ui, "ui", "auto", "the web console on /ui/: auto (served when the listener that serves management, --management-addr or else --http-addr, is on a loopback address), on (served on that listener wherever it is; its data needs the read scope once credentials are configured) or off")
	fs.IntVar(&o.grpcMaxMsg, "grpc-max-message-bytes", server.DefaultGRPCMaxMessageBytes, "largest gRPC message received or sent, in bytes")
	fs.StringVar(&o.engine, "engine", "native", "engine for models whose config.yaml names none")
	fs.IntVar(&o.threads, "threads", 0, "intra-op threads per model session (0: one per CPU)")
	fs.Int64Var(&o.maxBody, "max-body-bytes", server.DefaultMaxBodyBytes, "largest request body accepted, in bytes")
	fs.IntVar(&o.maxPixels, "max-image-pixels", preprocess.DefaultMaxPixels, "largest total image size of one request, in pixels")
	fs.Int64Var(&o.maxReqMem, "max-request-memory-bytes", 0, "memory one request may hold (body, decoded tensors and images, estimated before they are allocated); more is refused with 413. 0: a quarter of the in-flight budget, at most 512 MiB")
	fs.Int64Var(&o.maxFlightMem, "max-inflight-memory-bytes", 0, "memory all requests in flight may hold together; a request that does not fit now is refused with 429 (gRPC RESOURCE_EXHAUSTED). 0: half the container's memory limit (cgroup), or of physical memory capped at 4 GiB")
	fs.DurationVar(&o.drainTimeout, "drain-timeout", 30*time.Second, "how long shutdown waits for requests in flight")
	o.registerModels(fs)
	fs.Uint64Var(&o.gcHeadroom, "gc-headroom-bytes", gctune.DefaultHeadroom, "heap growth the garbage collector allows between cycles while the live heap is smaller (fewer collections under load); 0 keeps Go's default, as does GOGC set in the environment")
	fs.StringVar(&o.debugAddr, "debug-addr", "", "if set, serve Go's runtime profiles (net/http/pprof) on this address (host:port), apart from the API")
	fs.StringVar(&o.addrFile, "addr-file", "", "once listening, write the bound HTTP and gRPC addresses (JSON) to this file, removed at exit; `inferd healthcheck` reads it (the images set INFERD_ADDR_FILE, so their health check follows --http-addr)")
	fs.StringVar(&o.accessLog, "access-log", "all", "access log, one line per request with method, route, protocol, model, version, status, latency, bytes, request id, client and principal (the API key's name or the JWT's subject; management requests are always logged): all (successes at info; failures at info, 503 at warn, other 5xx at error), errors (status 400 and above only) or off (server errors, 5xx, only). Health, readiness and metrics probes are logged only when they fail. The request id is the client's Inferd-Request-Id header (gRPC: inferd-request-id metadata) or a new one, and comes back in the response's")
	fs.IntVar(&o.accessSample, "access-log-sample", 1, "with --access-log all, log 1 in N successful requests (failures are always logged)")
	o.security.register(fs)
	fs.StringVar(&o.auth.tokens, "auth-tokens", "", "file of API keys, one a line: <sha256 hex of the token> <name> <scopes, comma-separated> (printf %s TOKEN | sha256sum); reloaded when it changes. Scopes: predict, predict:PATTERN (models matching a path.Match pattern such as digits*), read, manage, metrics. Clients send Authorization: Bearer <token> (gRPC: authorization metadata)")
	fs.StringVar(&o.auth.jwks, "auth-jwks", "", "JWKS (file, or https URL fetched only from that address) whose keys verify JWT bearer tokens (RS256, ES256); scopes from the scope or scp claim. Needs --auth-issuer and --auth-audience")
	fs.StringVar(&o.auth.issuer, "auth-issuer", "", "the iss claim JWTs must carry")
	fs.StringVar(&o.auth.audience, "auth-audience", "", "an aud value JWTs must carry")
	addORTLibraryFlag(fs)
	o.log.register(fs)
	o.monitor.register(fs)
	return cmd
}

func runServe(ctx context.Context, o serveOptions) error {
	log, err := o.log.logger()
	if err != nil {
		return err
	}
	if err := o.checkRepository(); err != nil {
		return err
	}
	serverOpts, err := o.serverOptions()
	if err != nil {
		return err
	}
	secOpts, tlsCfg, err := o.security.options(log)
	if err != nil {
		return err
	}
	authn, err := o.auth.authenticator(ctx, log)
	if err != nil {
		return err
	}
	if authn != nil {
		serverOpts = append(serverOpts, server.WithAuth(authn))
	}
	serverOpts = append(serverOpts, o.memoryBudget(log))
	servingOpts, err := o.servingOptions()
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mon, store, err := o.monitor.open(ctx, log, reg)
	if err != nil {
		return err
	}
	if store != nil {
		defer store.Close()
	}
	src, err := o.repositorySource(ctx, log)
	if err != nil {
		return err
	}
	var watcher *drift.Watcher
	if store != nil {
		var profiles drift.ModelFiles = repository.NewDir(o.repository)
		if src != nil {
			profiles = src
		}
		if watcher, err = o.monitor.watchDrift(ctx, store, profiles, log, reg); err != nil {
			return err
		}
	}
	a, err := app.New(app.Config{
		Monitor: mon, Console: o.console(watcher),
		Repository: src, RepositoryDir: o.repository, HTTPAddr: o.httpAddr, GRPCAddr: o.grpcAddr, ManagementAddr: o.mgmtAddr,
		Logger: log, Registry: reg, DrainTimeout: o.drainTimeout, ShutdownDelay: o.security.shutdownDelay,
		PollInterval: o.pollInterval, Watch: true,
		Serving: servingOpts,
		Server:  append(serverOpts, secOpts...),
	})
	if err != nil {
		return err
	}
	cleanup, err := o.startBeside(a, tlsCfg, log)
	if err != nil {
		return err
	}
	defer cleanup()
	go gctune.Tune(ctx, o.gcHeadroom, log)
	repo := o.repository
	if src != nil {
		repo = src.String() // without the URL's query
	}
	log.Info("inferd starting", "version", Version(), "repository", repo, "http", a.HTTPAddr, "grpc", a.GRPCAddr)
	if err := a.Run(ctx); err != nil {
		return err
	}
	log.Info("inferd stopped")
	return nil
}

// startBeside starts what runs beside the app: the --debug-addr listener
// and the --addr-file. The function returned stops them (and removes the
// file).
func (o serveOptions) startBeside(a *app.App, tlsCfg *tls.Config, log *slog.Logger) (func(), error) {
	var stops []func()
	stop := func() {
		for _, f := range stops {
			f()
		}
	}
	if o.debugAddr != "" {
		dln, err := net.Listen("tcp", o.debugAddr)
		if err != nil {
			return nil, fmt.Errorf("--debug-addr: %w", err)
		}
		if tlsCfg != nil {
			dln = tls.NewListener(dln, tlsCfg.Clone())
		}
		stops = append(stops, serveDebug(dln, log))
	}
	if o.addrFile != "" {
		addrs := boundAddrs{HTTP: a.HTTPAddr, GRPC: a.GRPCAddr, Scheme: "http"}
		if o.security.tls.Cert != "" {
			addrs.Scheme, addrs.TLSCert = "https", o.security.tls.Cert
		}
		// Not fatal: a read-only root without a writable /tmp only costs the
		// health check the server's own address (it falls back to
		// --http-addr).
		if remove, err := writeAddrFile(o.addrFile, addrs); err != nil {
			log.Warn("the health check will not find the server's address", "err", err)
		} else {
			stops = append(stops, remove)
		}
	}
	return stop, nil
}

// checkRepository checks --repository (a directory that exists, or an
// object-storage URL, checked when it is first listed) and
// --model-control.
func (o serveOptions) checkRepository() error {
	if !bucket.IsURL(o.repository) {
		if st, err := os.Stat(o.repository); err != nil {
			return fmt.Errorf("--repository: %w", err)
		} else if !st.IsDir() {
			return fmt.Errorf("--repository: %s is not a directory", o.repository)
		}
	}
	if o.modelControl != "poll" && o.modelControl != "explicit" {
		return fmt.Errorf("--model-control: %q is not poll or explicit", o.modelControl)
	}
	return nil
}

// servingOptions returns the model manager's options from the flags.
func (o serveOptions) servingOptions() ([]serving.Option, error) {
	readiness, err := serving.ParseReadiness(o.readiness)
	if err != nil {
		return nil, fmt.Errorf("--readiness: %w", err)
	}
	return []serving.Option{
		serving.WithDefaultEngine(o.engine),
		serving.WithThreads(o.threads),
		serving.WithSettle(o.settle),
		serving.WithExplicitControl(o.modelControl == "explicit"),
		serving.WithLoadTimeout(cmp.Or(o.loadTimeout, -1)),
		serving.WithMaxRunRows(cmp.Or(o.maxRunRows, -1)),
		serving.WithReadiness(readiness),
		serving.WithEngineLimits(cmp.Or(o.maxTensor, -1), cmp.Or(o.maxModel, -1)),
	}, nil
}

// serverOptions checks the server's flags and returns them as options.
func (o serveOptions) serverOptions() ([]server.Option, error) {
	if err := o.checkConsole(); err != nil {
		return nil, err
	}
	if o.maxBody <= 0 || o.maxPixels <= 0 || o.grpcMaxMsg <= 0 {
		return nil, errors.New("--max-body-bytes, --max-image-pixels and --grpc-max-message-bytes must be positive")
	}
	if o.maxReqMem < 0 || o.maxFlightMem < 0 {
		return nil, errors.New("--max-request-memory-bytes and --max-inflight-memory-bytes must not be negative (0 derives them)")
	}
	accessMode, err := server.ParseAccessLogMode(o.accessLog)
	if err != nil {
		return nil, fmt.Errorf("--access-log: %w", err)
	}
	if o.accessSample < 1 {
		return nil, errors.New("--access-log-sample must be 1 or more")
	}
	return []server.Option{
		server.WithMaxBodyBytes(o.maxBody),
		server.WithMaxImagePixels(o.maxPixels),
		server.WithGRPCMaxMessageBytes(o.grpcMaxMsg),
		server.WithVersion(Version()),
		server.WithAccessLog(accessMode, o.accessSample),
	}, nil
}

// authenticator builds the authenticator the flags describe, nil when
// they describe none.
func (o authOptions) authenticator(ctx context.Context, log *slog.Logger) (auth.Authenticator, error) {
	if o.jwks == "" && (o.issuer != "" || o.audience != "") {
		return nil, errors.New("--auth-issuer and --auth-audience need --auth-jwks")
	}
	if o.tokens == "" && o.jwks == "" {
		return nil, nil
	}
	c := &auth.Chain{}
	var err error
	if o.tokens != "" {
		if c.Tokens, err = auth.LoadTokens(o.tokens, auth.WithLogger(log)); err != nil {
			return nil, fmt.Errorf("--auth-tokens: %w", err)
		}
	}
	if o.jwks != "" {
		if c.JWT, err = auth.NewJWTVerifier(ctx, o.jwks, o.issuer, o.audience, auth.WithLogger(log)); err != nil {
			return nil, fmt.Errorf("--auth-jwks: %w", err)
		}
	}
	return c, nil
}

// memoryBudget returns the memory budgets the flags give, deriving those
// left at 0 from the container's memory limit (or physical memory), and
// logs what it chose.
func (o serveOptions) memoryBudget(log *slog.Logger) server.Option {
	limit, err := memlimit.Detect(os.DirFS("/"))
	if err != nil {
		log.Warn("cannot read the memory limit; assuming one", "err", err, "assumed_bytes", memlimit.Fallback)
	}
	b := memlimit.Derive(limit)
	if o.maxFlightMem > 0 {
		b.Inflight = o.maxFlightMem
	}
	if o.maxReqMem > 0 {
		b.PerRequest = o.maxReqMem
	}
	if b.PerRequest > b.Inflight {
		b.PerRequest = b.Inflight
	}
	log.Info("memory budgets", "limit_bytes", limit.Bytes, "limit_source", limit.Source, "container", limit.Container,
		"max_inflight_memory_bytes", b.Inflight, "max_request_memory_bytes", b.PerRequest)
	return server.WithMemoryBudget(b.PerRequest, b.Inflight)
}
