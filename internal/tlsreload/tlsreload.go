package tlsreload

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"
)

// DefaultInterval is how often, at most, the files are checked for a
// change.
const DefaultInterval = 5 * time.Second

// Reloader holds a certificate and key loaded from files, and loads them
// again when the files change. Its GetCertificate is safe for concurrent
// use.
type Reloader struct {
	pair     *watched[*tls.Certificate]
	interval time.Duration
	log      *slog.Logger
	now      func() time.Time
}

// Option configures a Reloader.
type Option func(*Reloader)

// WithInterval sets how often, at most, the files are checked (default
// DefaultInterval).
func WithInterval(d time.Duration) Option { return func(r *Reloader) { r.interval = d } }

// WithLogger sets the logger that reports reloads and failed reloads.
func WithLogger(l *slog.Logger) Option { return func(r *Reloader) { r.log = l } }

// New loads the pair from certFile (PEM, the leaf first, then any
// intermediates) and keyFile (PEM) and returns a Reloader serving it.
func New(certFile, keyFile string, opts ...Option) (*Reloader, error) {
	r := &Reloader{interval: DefaultInterval, log: slog.New(slog.DiscardHandler), now: time.Now}
	for _, o := range opts {
		o(r)
	}
	pair, err := newWatched(r, "TLS certificate", []string{certFile, keyFile}, func() (*tls.Certificate, error) {
		return load(certFile, keyFile)
	}, func(c *tls.Certificate) []any {
		return []any{"cert", certFile, "serial", c.Leaf.SerialNumber.String(), "not_after", c.Leaf.NotAfter}
	})
	if err != nil {
		return nil, err
	}
	r.pair = pair
	return r, nil
}

// GetCertificate returns the current pair, loading it again first if the
// interval has passed since the last check and a file has changed. It
// has the signature of tls.Config.GetCertificate.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return r.pair.current(), nil
}

// watched is a value loaded from files, loaded again when one of them
// changes (checked at most every interval). A load that fails keeps the
// value loaded before, with a warning, and is tried again at the next
// check: files are often rotated one at a time.
type watched[T any] struct {
	what     string // for logs: "TLS certificate"
	files    []string
	load     func() (T, error)
	describe func(T) []any // log attributes of a reloaded value
	interval time.Duration
	log      *slog.Logger
	now      func() time.Time

	mu      sync.Mutex
	value   T
	stamps  []fileStamp // of files when value was loaded
	checked time.Time
}

// fileStamp identifies a version of a file.
type fileStamp struct {
	mod  time.Time
	size int64
}

// newWatched loads a value from files and returns it watched with r's
// interval, logger and clock. The files must exist and the load succeed.
func newWatched[T any](r *Reloader, what string, files []string, load func() (T, error), describe func(T) []any) (*watched[T], error) {
	w := &watched[T]{what: what, files: files, load: load, describe: describe, interval: r.interval, log: r.log, now: r.now}
	stamps, err := w.stat()
	if err != nil {
		return nil, err
	}
	v, err := load()
	if err != nil {
		return nil, err
	}
	w.value, w.stamps, w.checked = v, stamps, w.now()
	return w, nil
}

// current returns the value, loading it again first if the interval has
// passed since the last check and a file has changed.
func (w *watched[T]) current() T {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now()
	if now.Sub(w.checked) < w.interval {
		return w.value
	}
	w.checked = now
	stamps, err := w.stat()
	if err != nil {
		w.log.Warn(w.what+": keeping the loaded one", "err", err)
		return w.value
	}
	if slices.Equal(stamps, w.stamps) {
		return w.value
	}
	v, err := w.load()
	if err != nil {
		// Perhaps half rotated: retried at the next check.
		w.log.Warn(w.what+" changed but does not load: keeping the loaded one", "err", err)
		return w.value
	}
	w.value, w.stamps = v, stamps
	w.log.Info(w.what+" reloaded", w.describe(v)...)
	return w.value
}

// stat stats every file.
func (w *watched[T]) stat() ([]fileStamp, error) {
	stamps := make([]fileStamp, len(w.files))
	for i, f := range w.files {
		st, err := os.Stat(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", w.what, err)
		}
		stamps[i] = fileStamp{mod: st.ModTime(), size: st.Size()}
	}
	return stamps, nil
}

// load reads the pair and parses its leaf.
func load(certFile, keyFile string) (*tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate %s and key %s: %w", certFile, keyFile, err)
	}
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("TLS certificate %s: %w", certFile, err)
		}
	}
	return &cert, nil
}

// ServerConfig returns a server TLS configuration (TLS 1.2 or later)
// serving r's certificate. With clientCAFile (a PEM bundle) set, every
// client must present a certificate that one of its CAs signed (mutual
// TLS); the bundle is read again, like the certificate, when it changes
// (a bundle that does not parse keeps the loaded one), so CAs rotate
// without a restart.
func ServerConfig(r *Reloader, clientCAFile string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: r.GetCertificate}
	if clientCAFile == "" {
		return cfg, nil
	}
	bundle, err := newWatched(r, "client CA bundle", []string{clientCAFile}, func() (*x509.CertPool, error) {
		return readPool(clientCAFile)
	}, func(*x509.CertPool) []any { return []any{"file", clientCAFile} })
	if err != nil {
		return nil, err
	}
	ca := &caPool{bundle: bundle}
	// The chain is verified in VerifyConnection against the current
	// bundle: tls.Config.ClientCAs would be fixed for the config's life.
	// No CA names are sent in the certificate request, so clients holding
	// a certificate of a rotated-in CA still present it.
	cfg.ClientAuth, cfg.VerifyConnection = tls.RequireAnyClientCert, ca.verify
	return cfg, nil
}

// readPool parses a PEM bundle of CA certificates.
func readPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("client CA bundle: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("client CA bundle " + file + ": no PEM certificate in it")
	}
	return pool, nil
}

// caPool is the client CA bundle, read again when its file changes.
type caPool struct{ bundle *watched[*x509.CertPool] }

// verify checks the client's chain against the current bundle, for
// client authentication, as crypto/tls does for
// RequireAndVerifyClientCert.
func (c *caPool) verify(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("tls: client presented no certificate")
	}
	opts := x509.VerifyOptions{Roots: c.bundle.current(), Intermediates: x509.NewCertPool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	for _, ic := range cs.PeerCertificates[1:] {
		opts.Intermediates.AddCert(ic)
	}
	if _, err := cs.PeerCertificates[0].Verify(opts); err != nil {
		return fmt.Errorf("tls: client certificate: %w", err)
	}
	return nil
}

// Files are the TLS flags of a server: a certificate and key, and an
// optional client CA bundle.
type Files struct {
	Cert, Key, ClientCA string
}

// Config returns the server configuration for f, or nil when f names no
// certificate. A key without a certificate, or a client CA bundle without
// both, is an error.
func (f Files) Config(opts ...Option) (*tls.Config, error) {
	switch {
	case f.Cert == "" && f.Key == "" && f.ClientCA == "":
		return nil, nil
	case f.Cert == "" || f.Key == "":
		return nil, errors.New("TLS needs both a certificate and a key (--tls-cert and --tls-key)")
	}
	r, err := New(f.Cert, f.Key, opts...)
	if err != nil {
		return nil, err
	}
	return ServerConfig(r, f.ClientCA)
}
