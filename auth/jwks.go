package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// maxJWKSBytes bounds a JWKS document.
const maxJWKSBytes = 1 << 20

// jwksFetchTimeout bounds one fetch of a JWKS URL.
const jwksFetchTimeout = 10 * time.Second

// keySource holds the signing keys of a JWKS file or URL and refreshes
// them: a file every poll interval, a URL every refresh interval or, when
// a token names a key it does not have, at most once per poll interval.
// A refresh that fails keeps the keys already loaded.
type keySource struct {
	where     string // the file or URL, for messages
	fetch     func(ctx context.Context) ([]byte, error)
	every     time.Duration
	soonest   time.Duration // the shortest interval, for unknown keys
	opts      options
	set       atomic.Pointer[jose.JSONWebKeySet]
	lastFetch atomic.Int64 // unix nanoseconds
	mu        sync.Mutex
}

// newKeySource reads the JWKS at where: an http(s) URL or a file.
func newKeySource(ctx context.Context, where string, o options) (*keySource, error) {
	ks := &keySource{where: where, opts: o, every: o.poll, soonest: o.poll}
	if strings.HasPrefix(where, "http://") || strings.HasPrefix(where, "https://") {
		fetch, err := urlFetcher(where, o.client)
		if err != nil {
			return nil, err
		}
		ks.fetch, ks.every = fetch, o.refresh
	} else {
		ks.fetch = func(context.Context) ([]byte, error) { return os.ReadFile(where) }
	}
	if err := ks.refresh(ctx); err != nil {
		return nil, err
	}
	return ks, nil
}

// urlFetcher checks a JWKS URL (https, or http on a loopback host) and
// returns a function that fetches it, never following redirects.
func urlFetcher(raw string, base *http.Client) (func(context.Context) ([]byte, error), error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("JWKS URL: %w", err)
	}
	if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		return nil, fmt.Errorf("JWKS URL %s: use https (plain http only on a loopback address)", raw)
	}
	c := &http.Client{Timeout: jwksFetchTimeout}
	if base != nil {
		cp := *base
		c = &cp
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error {
		return errors.New("redirects are not followed: keys come only from the configured URL")
	}
	return func(ctx context.Context) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
		if err != nil {
			return nil, err
		}
		resp, err := c.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s: %s", raw, resp.Status)
		}
		return io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes))
	}, nil
}

// isLoopbackHost reports whether host is localhost or a loopback IP.
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// keys returns the keys with id kid (every key when kid is ""), refreshing
// first when due, and again when none has that id.
func (ks *keySource) keys(ctx context.Context, kid string) []jose.JSONWebKey {
	ks.maybeRefresh(ctx, ks.every)
	found := ks.lookup(kid)
	if len(found) == 0 && kid != "" {
		ks.maybeRefresh(ctx, ks.soonest)
		found = ks.lookup(kid)
	}
	return found
}

func (ks *keySource) lookup(kid string) []jose.JSONWebKey {
	set := ks.set.Load()
	if kid == "" {
		return set.Keys
	}
	return set.Key(kid)
}

// maybeRefresh refreshes the keys when the last fetch is older than
// interval; callers do not wait for a refresh another one started.
func (ks *keySource) maybeRefresh(ctx context.Context, interval time.Duration) {
	if time.Duration(ks.opts.now().UnixNano()-ks.lastFetch.Load()) < interval || !ks.mu.TryLock() {
		return
	}
	defer ks.mu.Unlock()
	if err := ks.refresh(ctx); err != nil {
		ks.opts.log.Error("JWKS: keeping the keys loaded", "jwks", ks.where, "err", err)
	}
}

// refresh fetches and parses the key set.
func (ks *keySource) refresh(ctx context.Context) error {
	ks.lastFetch.Store(ks.opts.now().UnixNano())
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), jwksFetchTimeout)
	defer cancel()
	data, err := ks.fetch(fctx)
	if err != nil {
		return fmt.Errorf("JWKS %s: %w", ks.where, err)
	}
	set, err := parseJWKS(data)
	if err != nil {
		return fmt.Errorf("JWKS %s: %w", ks.where, err)
	}
	ks.set.Store(set)
	return nil
}

// parseJWKS keeps the public signing keys of a JWKS document.
func parseJWKS(data []byte) (*jose.JSONWebKeySet, error) {
	var in jose.JSONWebKeySet
	if err := json.Unmarshal(data, &in); err != nil {
		return nil, fmt.Errorf("not a JWKS: %w", err)
	}
	out := &jose.JSONWebKeySet{}
	for _, k := range in.Keys {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		if !k.IsPublic() {
			k = k.Public()
		}
		if k.Valid() {
			out.Keys = append(out.Keys, k)
		}
	}
	if len(out.Keys) == 0 {
		return nil, errors.New("no public signing key")
	}
	return out, nil
}
