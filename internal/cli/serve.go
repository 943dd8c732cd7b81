package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/inferd/inferd/app"
	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/internal/gctune"
	"github.com/inferd/inferd/preprocess"
	"github.com/inferd/inferd/repository"
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
	drainTimeout time.Duration
	modelControl string
	pollInterval time.Duration
	settle       time.Duration
	loadTimeout  time.Duration
	maxTensor    int64
	maxModel     int64
	debugAddr    string
	gcHeadroom   uint64
	accessLog    string
	accessSample int
	log          logOptions
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

On SIGINT or SIGTERM the server turns not-ready, finishes requests in flight and
exits 0.`,
		Example: `  inferd serve --repository examples/models --http-addr 127.0.0.1:8080
  INFERD_REPOSITORY=/models INFERD_HTTP_ADDR=:8080 inferd serve`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runServe(cmd.Context(), o) },
	}
	fs := cmd.Flags()
	fs.StringVar(&o.repository, "repository", "models", "model repository directory")
	fs.StringVar(&o.httpAddr, "http-addr", "127.0.0.1:8080", "HTTP listen address (host:port; :8080 for all interfaces)")
	fs.StringVar(&o.grpcAddr, "grpc-addr", "127.0.0.1:8081", "gRPC listen address (host:port); empty disables gRPC")
	fs.IntVar(&o.grpcMaxMsg, "grpc-max-message-bytes", server.DefaultGRPCMaxMessageBytes, "largest gRPC message received or sent, in bytes")
	fs.StringVar(&o.engine, "engine", "native", "engine for models whose config.yaml names none")
	fs.IntVar(&o.threads, "threads", 0, "intra-op threads per model session (0: one per CPU)")
	fs.Int64Var(&o.maxBody, "max-body-bytes", server.DefaultMaxBodyBytes, "largest request body accepted, in bytes")
	fs.IntVar(&o.maxPixels, "max-image-pixels", preprocess.DefaultMaxPixels, "largest total image size of one request, in pixels")
	fs.DurationVar(&o.drainTimeout, "drain-timeout", 30*time.Second, "how long shutdown waits for requests in flight")
	fs.StringVar(&o.modelControl, "model-control", "poll", "poll: follow the repository (new versions, removed versions, config changes); explicit: load and unload only through POST /v2/repository/models/{name}/load|unload")
	fs.DurationVar(&o.pollInterval, "poll-interval", repository.DefaultPollInterval, "how often the repository is re-read besides file notifications (the fallback where they are unavailable)")
	fs.DurationVar(&o.settle, "settle", time.Second, "how long a new model file must keep its size and modification time before it loads")
	fs.DurationVar(&o.loadTimeout, "load-timeout", serving.DefaultLoadTimeout, "how long loading one model version may take (reading, opening sessions, warmup) before it is abandoned and marked FAILED; other models load meanwhile; 0 for no limit")
	fs.Int64Var(&o.maxTensor, "max-tensor-bytes", engine.DefaultMaxTensorBytes, "largest tensor an engine allocates from values a request (or a model's constants) decide, such as ConstantOfShape or Expand shapes, in bytes; a request asking for more fails with 400; -1 for no limit")
	fs.Int64Var(&o.maxModel, "max-model-bytes", engine.DefaultMaxModelBytes, "most memory one model may take while it loads (its initializers, sized before external data is read, and constant folding), in bytes; a model over it fails to load; -1 for no limit")
	fs.Uint64Var(&o.gcHeadroom, "gc-headroom-bytes", gctune.DefaultHeadroom, "heap growth the garbage collector allows between cycles while the live heap is smaller (fewer collections under load); 0 keeps Go's default, as does GOGC set in the environment")
	fs.StringVar(&o.debugAddr, "debug-addr", "", "if set, serve Go's runtime profiles (net/http/pprof) on this address (host:port), apart from the API")
	fs.StringVar(&o.accessLog, "access-log", "all", "access log, one line per request with method, route, protocol, model, version, status, latency, bytes, request id and client: all (successes at info; failures at info, 503 at warn, other 5xx at error), errors (status 400 and above only) or off (server errors, 5xx, only). Health, readiness and metrics probes are logged only when they fail. The request id is the client's Inferd-Request-Id header (gRPC: inferd-request-id metadata) or a new one, and comes back in the response's")
	fs.IntVar(&o.accessSample, "access-log-sample", 1, "with --access-log all, log 1 in N successful requests (failures are always logged)")
	addORTLibraryFlag(fs)
	o.log.register(fs)
	return cmd
}

func runServe(ctx context.Context, o serveOptions) error {
	log, err := o.log.logger()
	if err != nil {
		return err
	}
	if st, err := os.Stat(o.repository); err != nil {
		return fmt.Errorf("--repository: %w", err)
	} else if !st.IsDir() {
		return fmt.Errorf("--repository: %s is not a directory", o.repository)
	}
	if o.modelControl != "poll" && o.modelControl != "explicit" {
		return fmt.Errorf("--model-control: %q is not poll or explicit", o.modelControl)
	}
	serverOpts, err := o.serverOptions()
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a, err := app.New(app.Config{
		RepositoryDir: o.repository, HTTPAddr: o.httpAddr, GRPCAddr: o.grpcAddr,
		Logger: log, Registry: reg, DrainTimeout: o.drainTimeout, PollInterval: o.pollInterval, Watch: true,
		Serving: []serving.Option{
			serving.WithDefaultEngine(o.engine),
			serving.WithThreads(o.threads),
			serving.WithSettle(o.settle),
			serving.WithExplicitControl(o.modelControl == "explicit"),
			serving.WithLoadTimeout(cmp.Or(o.loadTimeout, -1)),
			serving.WithEngineLimits(cmp.Or(o.maxTensor, -1), cmp.Or(o.maxModel, -1)),
		},
		Server: serverOpts,
	})
	if err != nil {
		return err
	}
	if o.debugAddr != "" {
		dln, err := net.Listen("tcp", o.debugAddr)
		if err != nil {
			return fmt.Errorf("--debug-addr: %w", err)
		}
		defer serveDebug(dln, log)()
	}
	go gctune.Tune(ctx, o.gcHeadroom, log)
	log.Info("inferd starting", "version", Version(), "repository", o.repository, "http", a.HTTPAddr, "grpc", a.GRPCAddr)
	if err := a.Run(ctx); err != nil {
		return err
	}
	log.Info("inferd stopped")
	return nil
}

// serverOptions checks the server's flags and returns them as options.
func (o serveOptions) serverOptions() ([]server.Option, error) {
	if o.maxBody <= 0 || o.maxPixels <= 0 || o.grpcMaxMsg <= 0 {
		return nil, errors.New("--max-body-bytes, --max-image-pixels and --grpc-max-message-bytes must be positive")
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
