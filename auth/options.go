package auth

import (
	"log/slog"
	"net/http"
	"time"
)

// DefaultPollInterval is how often the token file and a JWKS file are
// read again to look for changes.
const DefaultPollInterval = 3 * time.Second

// DefaultJWKSRefresh is how often a JWKS URL is fetched again; a token
// signed with an unknown key fetches it sooner (at most once per
// DefaultPollInterval).
const DefaultJWKSRefresh = 5 * time.Minute

// Option configures Tokens and JWTVerifier.
type Option func(*options)

type options struct {
	log     *slog.Logger
	poll    time.Duration
	refresh time.Duration
	client  *http.Client
	now     func() time.Time
}

func newOptions(opts []Option) options {
	o := options{log: slog.New(slog.DiscardHandler), poll: DefaultPollInterval, refresh: DefaultJWKSRefresh, now: time.Now}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// WithLogger sets the logger for reloads and refreshes that fail.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithPollInterval sets how often files are checked for changes (default
// DefaultPollInterval).
func WithPollInterval(d time.Duration) Option { return func(o *options) { o.poll = d } }

// WithJWKSRefresh sets how often a JWKS URL is fetched again (default
// DefaultJWKSRefresh).
func WithJWKSRefresh(d time.Duration) Option { return func(o *options) { o.refresh = d } }

// WithHTTPClient sets the client that fetches a JWKS URL. Its redirects
// are refused whatever the client says, so that keys come only from the
// configured address.
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// WithClock sets the clock that validates exp and nbf (tests).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }
