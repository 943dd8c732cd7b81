package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// Target sends requests to a server. Implementations are safe for
// concurrent use.
type Target interface {
	// Do sends request number seq (a target with several inputs sends them
	// in turn: input seq mod their number) and reports how it went.
	Do(ctx context.Context, seq int) Outcome
	// Close releases the target's connections.
	Close() error
}

// Outcome is how one request went.
type Outcome struct {
	// OK is true for a successful answer (HTTP 200, gRPC OK).
	OK bool
	// Status classifies a failure: the HTTP status code ("429"), the gRPC
	// code ("RESOURCE_EXHAUSTED"), StatusTimeout, StatusCanceled or
	// StatusTransport. It is "200" or "OK" on success.
	Status string
	// Message is the server's error message or the transport error, for
	// failures.
	Message string
	// Timing is the server's account of the request, when HasTiming.
	Timing    Timing
	HasTiming bool
}

// Statuses of requests that got no answer.
const (
	// StatusTimeout: no answer within Config.Timeout.
	StatusTimeout = "timeout"
	// StatusCanceled: the run was canceled while the request was in flight.
	StatusCanceled = "canceled"
	// StatusTransport: the connection failed (refused, reset, ...).
	StatusTransport = "transport"
)

// transportOutcome classifies a request that got no answer.
func transportOutcome(ctx context.Context, err error) Outcome {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		return Outcome{Status: StatusTimeout, Message: err.Error()}
	case ctx.Err() != nil:
		return Outcome{Status: StatusCanceled, Message: err.Error()}
	}
	return Outcome{Status: StatusTransport, Message: err.Error()}
}

// Protocol is how a target talks to the server.
type Protocol string

// The protocols of NewTarget.
const (
	// Seed: inferd's seed routes, POST /models/{name}[/{version}] with the
	// raw image or a {"inputs": {...}} JSON body. Any server with such a
	// route can be measured with it (the Flask comparison does).
	Seed Protocol = "seed"
	// V2: the Open Inference Protocol over REST,
	// POST /v2/models/{name}[/versions/{version}]/infer.
	V2 Protocol = "v2"
	// V2GRPC: the Open Inference Protocol over gRPC (ModelInfer).
	V2GRPC Protocol = "v2-grpc"
)

// ParseProtocol checks a protocol name.
func ParseProtocol(s string) (Protocol, error) {
	switch p := Protocol(s); p {
	case Seed, V2, V2GRPC:
		return p, nil
	}
	return "", fmt.Errorf("protocol %q: want seed, v2 or v2-grpc", s)
}

// Input is one request payload: a file's name and contents. An image
// (PNG, JPEG, WebP, recognized by its bytes) is sent as the raw body on
// the seed route and as a BYTES tensor for the model's image input over v2;
// a JSON file holds tensors, as the seed routes' {"inputs": {"<name>":
// <nested array>}} or (v2 only) an Open Inference Protocol request.
type Input struct {
	Name string
	Data []byte
}

// TargetConfig describes what NewTarget sends where.
type TargetConfig struct {
	// URL is the server: http://HOST:PORT for Seed and V2, grpc://HOST:PORT
	// or HOST:PORT for V2GRPC.
	URL      string
	Protocol Protocol
	// Model and Version name the model; Version "" lets the server choose.
	Model, Version string
	// Inputs are sent in turn; at least one.
	Inputs []Input
	// MaxConns bounds the HTTP connections kept open (default 1024).
	MaxConns int
	// Timeout bounds the metadata request NewTarget makes for V2 and
	// V2GRPC (default 10s).
	Timeout time.Duration
}

// NewTarget prepares the requests of c: bodies are encoded once, so the
// measurement does not include the client's encoding. V2 and V2GRPC ask the
// server for the model's metadata first (to name the image input and
// output, and to type the tensors of a seed-style JSON file).
func NewTarget(ctx context.Context, c TargetConfig) (Target, error) {
	if c.Model == "" {
		return nil, errors.New("no model name")
	}
	if len(c.Inputs) == 0 {
		return nil, errors.New("no input")
	}
	if c.MaxConns <= 0 {
		c.MaxConns = 1024
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	switch c.Protocol {
	case Seed:
		return newSeedTarget(c)
	case V2:
		return newV2Target(ctx, c)
	case V2GRPC:
		return newGRPCTarget(ctx, c)
	}
	_, err := ParseProtocol(string(c.Protocol))
	return nil, err
}

// HostOf returns the host of a server URL: the host of http://, https://
// and grpc:// URLs, or the host of a bare HOST:PORT.
func HostOf(serverURL string) (string, error) {
	hostport := serverURL
	if strings.Contains(serverURL, "://") {
		u, err := url.Parse(serverURL)
		if err != nil {
			return "", fmt.Errorf("server URL %q: %w", serverURL, err)
		}
		hostport = u.Host
	}
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		if u, perr := url.Parse(serverURL); perr == nil && u.Hostname() != "" {
			return u.Hostname(), nil // a URL without a port
		}
		return "", fmt.Errorf("server URL %q: want HOST:PORT: %w", serverURL, err)
	}
	if host == "" {
		return "", fmt.Errorf("server URL %q has no host", serverURL)
	}
	return host, nil
}

// CheckLoopback returns an error unless every address of the server URL's
// host is a loopback address: a load generator should not hit another
// machine by mistake.
func CheckLoopback(ctx context.Context, serverURL string) error {
	host, err := HostOf(serverURL)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip != nil {
		if !ip.IsLoopback() {
			return fmt.Errorf("%s is not a loopback address", host)
		}
		return nil
	}
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return fmt.Errorf("resolving %s: %w", host, err)
	}
	for _, a := range addrs {
		if !a.IP.IsLoopback() {
			return fmt.Errorf("%s resolves to %s, which is not a loopback address", host, a.IP)
		}
	}
	return nil
}
