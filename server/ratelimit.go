package server

import (
	"context"
	"errors"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// RateKey says what a per-client rate limit counts requests by.
type RateKey string

const (
	// RateKeyClient counts by the Inferd-Client-Id header (gRPC:
	// inferd-client-id metadata), or the remote address without it. A
	// client chooses its id, so this suits cooperating clients.
	RateKeyClient RateKey = "client"
	// RateKeyIP counts by remote address only (IPv6 by /64).
	RateKeyIP RateKey = "ip"
)

// maxRateClients bounds the clients tracked at once; past it, new
// clients share one bucket until idle ones are forgotten.
const maxRateClients = 100_000

// rateSweep is how often idle clients are forgotten.
const rateSweep = time.Minute

// errLimited is what the request limits answer: too many requests.
var errLimited = errors.New("too many requests")

// limitError is a request turned away by a limit, with the time after
// which the client may try again (the Retry-After header).
type limitError struct {
	err        error // an *httpError
	retryAfter time.Duration
}

func (e *limitError) Error() string { return e.err.Error() }
func (e *limitError) Unwrap() error { return e.err }

// retryAfterSeconds is the Retry-After value: whole seconds, at least 1.
func (e *limitError) retryAfterSeconds() string {
	return strconv.Itoa(max(1, int(math.Ceil(e.retryAfter.Seconds()))))
}

// WithRateLimit limits each client to perSecond requests per second with
// bursts of burst (token buckets keyed as key says); past it, requests get
// 429 with Retry-After. perSecond 0 (the default) turns the limit off.
// Health, readiness and metrics probes are never limited.
func WithRateLimit(perSecond float64, burst int, key RateKey) Option {
	return func(s *Server) {
		if perSecond <= 0 {
			s.rates = nil
			return
		}
		s.rates = &clientRates{limit: rate.Limit(perSecond), burst: max(burst, 1), byIP: key == RateKeyIP, clients: map[string]*clientRate{}}
	}
}

// WithMaxInflightRequests caps the requests being served at once (probes
// excepted); past it, requests get 429 with Retry-After at once instead of
// queueing. 0 (the default) is no cap.
func WithMaxInflightRequests(n int) Option { return func(s *Server) { s.maxInflight = int64(n) } }

// clientRates are per-client token buckets.
type clientRates struct {
	limit rate.Limit
	burst int
	byIP  bool

	mu        sync.Mutex
	clients   map[string]*clientRate
	swept     time.Time
	overflows *rate.Limiter // shared by clients past maxRateClients
}

type clientRate struct {
	lim  *rate.Limiter
	seen time.Time
}

// allow takes a token from key's bucket, or says how long until one is
// there.
func (c *clientRates) allow(key string, now time.Time) (bool, time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.Sub(c.swept) >= rateSweep {
		c.sweep(now)
	}
	lim := c.bucket(key, now)
	if lim.AllowN(now, 1) {
		return true, 0
	}
	missing := 1 - lim.TokensAt(now)
	return false, time.Duration(missing / float64(c.limit) * float64(time.Second))
}

// bucket is key's limiter, made on first use.
func (c *clientRates) bucket(key string, now time.Time) *rate.Limiter {
	if cr, ok := c.clients[key]; ok {
		cr.seen = now
		return cr.lim
	}
	if len(c.clients) >= maxRateClients {
		if c.overflows == nil {
			c.overflows = rate.NewLimiter(c.limit, c.burst)
		}
		return c.overflows
	}
	cr := &clientRate{lim: rate.NewLimiter(c.limit, c.burst), seen: now}
	c.clients[key] = cr
	return cr.lim
}

// sweep forgets clients idle long enough for their bucket to be full
// again (forgetting them changes nothing).
func (c *clientRates) sweep(now time.Time) {
	c.swept = now
	refill := time.Duration(float64(c.burst) / float64(c.limit) * float64(time.Second))
	for k, cr := range c.clients {
		if now.Sub(cr.seen) > refill {
			delete(c.clients, k)
		}
	}
}

// key is what a request is counted by.
func (c *clientRates) key(client, remote string) string {
	if client != "" && !c.byIP {
		return "id:" + client
	}
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return "ip:" + host
	}
	if addr = addr.Unmap(); addr.Is6() {
		p, _ := addr.Prefix(64) // one subscriber's usual allocation
		return "ip:" + p.String()
	}
	return "ip:" + addr.String()
}

// admit applies the in-flight cap and the client's rate limit to a call
// of route; release ends the call's share of the cap and must be called,
// also when err is not nil.
func (s *Server) admit(route, client, remote string) (release func(), err error) {
	if isProbe(route) || (s.maxInflight <= 0 && s.rates == nil) {
		return func() {}, nil
	}
	release = func() {}
	if s.maxInflight > 0 {
		if s.inflight.Add(1) > s.maxInflight {
			s.inflight.Add(-1)
			return release, &limitError{err: errorf(http.StatusTooManyRequests, "%w: the server is serving its limit of %d requests at once", errLimited, s.maxInflight), retryAfter: time.Second}
		}
		var once sync.Once
		release = func() { once.Do(func() { s.inflight.Add(-1) }) }
	}
	if s.rates != nil {
		if ok, wait := s.rates.allow(s.rates.key(client, remote), time.Now()); !ok {
			return release, &limitError{err: errorf(http.StatusTooManyRequests, "%w: over the rate limit of %g requests per second", errLimited, float64(s.rates.limit)), retryAfter: wait}
		}
	}
	return release, nil
}

// admitHTTP is admit for an HTTP request; a refusal sets Retry-After.
func (s *Server) admitHTTP(w http.ResponseWriter, r *http.Request, info *reqInfo) (func(), error) {
	release, err := s.admit(info.route, info.client, r.RemoteAddr)
	var le *limitError
	if errors.As(err, &le) {
		w.Header().Set("Retry-After", le.retryAfterSeconds())
	}
	return release, err
}

// limitUnary applies the limits to gRPC unary calls; a refusal is
// RESOURCE_EXHAUSTED with retry-after header metadata (seconds).
func (s *Server) limitUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	release, err := s.admit(info.FullMethod, callInfo(ctx).client, peerAddr(ctx))
	defer release()
	if err != nil {
		var le *limitError
		if errors.As(err, &le) {
			_ = grpc.SetHeader(ctx, metadata.Pairs("retry-after", le.retryAfterSeconds()))
		}
		return nil, err
	}
	return handler(ctx, req)
}
