package bucket

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/azureblob" // azblob://
	_ "gocloud.dev/blob/fileblob"  // file://
	_ "gocloud.dev/blob/gcsblob"   // gs://
	_ "gocloud.dev/blob/s3blob"    // s3://

	"github.com/inferd/inferd/repository"
)

// IsURL reports whether a --repository value names object storage (or a
// file:// URL) rather than a local directory.
func IsURL(s string) bool {
	for _, scheme := range []string{"s3://", "gs://", "azblob://", "file://"} {
		if strings.HasPrefix(s, scheme) {
			return true
		}
	}
	return false
}

// Source is a repository.Source over a bucket.
type Source struct {
	b       *blob.Bucket
	display string // scheme://bucket/prefix, without the query (no secrets)
	poll    time.Duration
	log     *slog.Logger
	cache   *cache
	subs    repository.Broadcaster
	// beforeRoutingWrite, set by tests, runs between WriteRouting's read
	// and its write: another replica's write landing there.
	beforeRoutingWrite func()
}

// Option configures Open.
type Option func(*Source)

// WithPollInterval sets how often the bucket is listed for changes
// (default repository.DefaultPollInterval).
func WithPollInterval(d time.Duration) Option { return func(s *Source) { s.poll = d } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Source) { s.log = l } }

// WithCacheDir sets the directory of the local file cache (default
// inferd/models under the user's cache directory). The directory belongs
// to the source: files of retired versions are removed from it, whoever
// put them there (in the default directory, only those the source used).
func WithCacheDir(dir string) Option {
	return func(s *Source) { s.cache.dir, s.cache.prune.owned = dir, true }
}

// Open opens the repository at rawURL: s3://BUCKET/PREFIX, gs://...,
// azblob://..., or file:///DIR. Query parameters go to the provider (for
// S3: region, endpoint, use_path_style, ...).
func Open(ctx context.Context, rawURL string, opts ...Option) (*Source, error) {
	u, err := url.Parse(rawURL)
	if err != nil || !IsURL(rawURL) {
		return nil, fmt.Errorf("repository URL %q: want s3://, gs://, azblob:// or file://", redact(rawURL))
	}
	display := u.Scheme + "://" + u.Host + u.Path
	if u.Scheme != "file" {
		// The path is a prefix of keys, not part of the bucket's name.
		if prefix := strings.Trim(u.Path, "/"); prefix != "" {
			q := u.Query()
			q.Set("prefix", prefix+"/")
			u.RawQuery, u.Path = q.Encode(), ""
		}
	}
	b, err := blob.OpenBucket(ctx, u.String())
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", display, err)
	}
	s := &Source{b: b, display: strings.TrimSuffix(display, "/"), poll: repository.DefaultPollInterval,
		log: slog.New(slog.DiscardHandler), cache: newCache()}
	for _, o := range opts {
		o(s)
	}
	if s.cache.dir == "" {
		base, err := cacheBase()
		if err != nil {
			b.Close()
			return nil, err
		}
		s.cache.dir = base
	}
	return s, nil
}

// redact drops a URL's query and user information, which may hold keys.
func redact(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		u.RawQuery, u.User = "", nil
		return u.String()
	}
	return "(unparsable URL)"
}

// Close closes the bucket.
func (s *Source) Close() error { return s.b.Close() }

// String implements repository.Source.
func (s *Source) String() string { return s.display }

// view lists the keys under prefix ("" for all, "NAME/" for one model) and
// returns the repository they hold now.
func (s *Source) view(ctx context.Context, prefix string) (repository.View, error) {
	l, err := s.list(ctx, prefix)
	if err != nil {
		return repository.View{}, err
	}
	return repository.View{FS: &bucketFS{src: s, listing: l}, Display: s.displayPath}, nil
}

func (s *Source) displayPath(p string) string {
	if p == "." {
		return s.display
	}
	return s.display + "/" + p
}

// List implements repository.Source.
func (s *Source) List(ctx context.Context) ([]repository.Entry, error) {
	v, err := s.view(ctx, "")
	if err != nil {
		return nil, err
	}
	return v.List(ctx)
}

// Get implements repository.Source; it lists the model's keys only.
func (s *Source) Get(ctx context.Context, name string) (repository.Entry, error) {
	v, err := s.view(ctx, name+"/")
	if err != nil {
		return repository.Entry{}, err
	}
	return v.Get(ctx, name)
}

// FS implements repository.Source: the model's files as they are listed
// now (its keys only); its version files are read from the verified cache.
func (s *Source) FS(name string) (fs.FS, error) {
	v, err := s.view(context.Background(), name+"/")
	if err != nil {
		return nil, err
	}
	return v.Sub(name)
}

// Watch implements repository.Source: the bucket is listed every poll
// interval, and a change of any object's identity is sent.
func (s *Source) Watch(ctx context.Context) <-chan struct{} {
	ch := s.subs.Subscribe(ctx)
	go s.watch(ctx)
	return ch
}

func (s *Source) watch(ctx context.Context) {
	last := ""
	if l, err := s.list(ctx, ""); err == nil {
		last = l.digest()
	}
	t := time.NewTicker(s.poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		l, err := s.list(ctx, "")
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("listing the model repository", "repository", s.display, "err", err)
			}
			continue
		}
		if d := l.digest(); d != last {
			last = d
			s.subs.Notify()
		}
		s.pruneCache(ctx, l)
	}
}

// object is what a listing says of one key.
type object struct {
	size    int64
	modTime time.Time
	md5     string
}

// identity changes whenever the object is rewritten (almost surely: two
// writes of the same size within the store's time resolution, without
// an MD5, are not told apart; version files are identified by their
// checksum instead).
func (o object) identity() string {
	return fmt.Sprintf("%d@%d@%s", o.size, o.modTime.UnixNano(), o.md5)
}

// listing is every object under the prefix, by key relative to it.
type listing map[string]object

// list lists every object whose key, relative to the repository, starts
// with prefix.
func (s *Source) list(ctx context.Context, prefix string) (listing, error) {
	l := listing{}
	it := s.b.List(&blob.ListOptions{Prefix: prefix})
	for {
		o, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return l, nil
		}
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", s.display, err)
		}
		if o.IsDir {
			continue
		}
		l[o.Key] = object{size: o.Size, modTime: o.ModTime, md5: hex.EncodeToString(o.MD5)}
	}
}

// digest identifies the whole listing.
func (l listing) digest() string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%s\x00%s\n", k, l[k].identity())
	}
	return hex.EncodeToString(h.Sum(nil))
}
