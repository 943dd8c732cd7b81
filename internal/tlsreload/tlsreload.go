package tlsreload

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
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
	certFile, keyFile string
	interval          time.Duration
	log               *slog.Logger
	now               func() time.Time

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   [2]fileStamp // of certFile and keyFile when cert was loaded
	checked time.Time
}

// fileStamp identifies a version of a file.
type fileStamp struct {
	mod  time.Time
	size int64
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
	r := &Reloader{certFile: certFile, keyFile: keyFile, interval: DefaultInterval, log: slog.New(slog.DiscardHandler), now: time.Now}
	for _, o := range opts {
		o(r)
	}
	stamp, err := r.stamps()
	if err != nil {
		return nil, err
	}
	cert, err := load(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	r.cert, r.stamp, r.checked = cert, stamp, r.now()
	return r, nil
}

// GetCertificate returns the current pair, loading it again first if the
// interval has passed since the last check and a file has changed. It
// has the signature of tls.Config.GetCertificate.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if now.Sub(r.checked) < r.interval {
		return r.cert, nil
	}
	r.checked = now
	stamp, err := r.stamps()
	if err != nil {
		r.log.Warn("TLS certificate: keeping the loaded pair", "err", err)
		return r.cert, nil
	}
	if stamp == r.stamp {
		return r.cert, nil
	}
	cert, err := load(r.certFile, r.keyFile)
	if err != nil {
		// Perhaps half rotated: retried at the next check.
		r.log.Warn("TLS certificate changed but does not load: keeping the loaded pair", "err", err)
		return r.cert, nil
	}
	r.cert, r.stamp = cert, stamp
	r.log.Info("TLS certificate reloaded", "cert", r.certFile, "serial", cert.Leaf.SerialNumber.String(), "not_after", cert.Leaf.NotAfter)
	return r.cert, nil
}

// stamps stats both files.
func (r *Reloader) stamps() ([2]fileStamp, error) {
	var s [2]fileStamp
	for i, f := range []string{r.certFile, r.keyFile} {
		st, err := os.Stat(f)
		if err != nil {
			return s, fmt.Errorf("TLS certificate: %w", err)
		}
		s[i] = fileStamp{mod: st.ModTime(), size: st.Size()}
	}
	return s, nil
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
	ca, err := newCAPool(clientCAFile, r)
	if err != nil {
		return nil, err
	}
	// The chain is verified in VerifyConnection against the current
	// bundle: tls.Config.ClientCAs would be fixed for the config's life.
	// No CA names are sent in the certificate request, so clients holding
	// a certificate of a rotated-in CA still present it.
	cfg.ClientAuth, cfg.VerifyConnection = tls.RequireAnyClientCert, ca.verify
	return cfg, nil
}

// caPool is a client CA bundle read from a file, and again when the file
// changes (checked at most every interval).
type caPool struct {
	file     string
	interval time.Duration
	log      *slog.Logger
	now      func() time.Time

	mu      sync.Mutex
	pool    *x509.CertPool
	stamp   fileStamp
	checked time.Time
}

func newCAPool(file string, r *Reloader) (*caPool, error) {
	c := &caPool{file: file, interval: r.interval, log: r.log, now: r.now}
	st, err := os.Stat(file)
	if err != nil {
		return nil, fmt.Errorf("client CA bundle: %w", err)
	}
	if c.pool, err = readPool(file); err != nil {
		return nil, err
	}
	c.stamp, c.checked = fileStamp{mod: st.ModTime(), size: st.Size()}, c.now()
	return c, nil
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

// current returns the bundle, reading it again first if the interval has
// passed since the last check and the file has changed.
func (c *caPool) current() *x509.CertPool {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if now.Sub(c.checked) < c.interval {
		return c.pool
	}
	c.checked = now
	st, err := os.Stat(c.file)
	if err != nil {
		c.log.Warn("client CA bundle: keeping the loaded one", "err", err)
		return c.pool
	}
	stamp := fileStamp{mod: st.ModTime(), size: st.Size()}
	if stamp == c.stamp {
		return c.pool
	}
	pool, err := readPool(c.file)
	if err != nil {
		c.log.Warn("client CA bundle changed but does not load: keeping the loaded one", "err", err)
		return c.pool
	}
	c.pool, c.stamp = pool, stamp
	c.log.Info("client CA bundle reloaded", "file", c.file)
	return c.pool
}

// verify checks the client's chain against the current bundle, for
// client authentication, as crypto/tls does for
// RequireAndVerifyClientCert.
func (c *caPool) verify(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("tls: client presented no certificate")
	}
	opts := x509.VerifyOptions{Roots: c.current(), Intermediates: x509.NewCertPool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
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
