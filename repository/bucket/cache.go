package bucket

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"gocloud.dev/blob"
	"golang.org/x/sync/singleflight"
)

// maxSmallFile bounds a file outside version directories (config.yaml,
// labels, the routing file), which is read into memory.
const maxSmallFile = 16 << 20

// maxSmallTotal bounds the memory cache of such files; past it, it is
// emptied.
const maxSmallTotal = 64 << 20

// cache keeps version files on disk, named by their SHA-256 and verified
// when downloaded, and small files in memory, by key and identity.
type cache struct {
	dir string

	mu         sync.Mutex
	smallFiles map[string][]byte // key + "\x00" + identity → content
	smallBytes int64
	flights    singleflight.Group
	prune      pruneState
}

func newCache() *cache { return &cache{smallFiles: map[string][]byte{}} }

// cacheBase is the default cache directory.
func cacheBase() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory for the model files (set one with --cache-dir): %w", err)
	}
	return filepath.Join(dir, "inferd", "models"), nil
}

// small returns a small file's content, read once per identity.
func (c *cache) small(ctx context.Context, b *blob.Bucket, key string, o object) ([]byte, error) {
	if o.size > maxSmallFile {
		return nil, fmt.Errorf("%s is %d bytes: files outside version directories are read into memory, at most %d", key, o.size, maxSmallFile)
	}
	id := key + "\x00" + o.identity()
	c.mu.Lock()
	data, ok := c.smallFiles[id]
	c.mu.Unlock()
	if ok {
		return data, nil
	}
	v, err, _ := c.flights.Do(id, func() (any, error) {
		r, err := b.NewReader(ctx, key, nil)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		return io.ReadAll(io.LimitReader(r, maxSmallFile+1))
	})
	if err != nil {
		return nil, err
	}
	data = v.([]byte)
	c.mu.Lock()
	if c.smallBytes+int64(len(data)) > maxSmallTotal {
		c.smallFiles, c.smallBytes = map[string][]byte{}, 0
	}
	c.smallFiles[id] = data
	c.smallBytes += int64(len(data))
	c.mu.Unlock()
	return data, nil
}

// verified returns the path of the cached copy of key, whose SHA-256 must
// be sum, downloading and checking it first if it is not cached.
func (c *cache) verified(ctx context.Context, b *blob.Bucket, key, sum, display string) (string, error) {
	p := c.path(sum)
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	_, err, _ := c.flights.Do("file\x00"+sum, func() (any, error) {
		return nil, c.download(ctx, b, key, sum, p, display)
	})
	return p, err
}

// download copies key to p through a temporary file, checking its
// checksum before the rename makes it visible.
func (c *cache) download(ctx context.Context, b *blob.Bucket, key, sum, p, display string) (err error) {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("model cache: %w", err)
	}
	r, err := b.NewReader(ctx, key, nil)
	if err != nil {
		return fmt.Errorf("downloading %s: %w", display, err)
	}
	defer r.Close()
	tmp, err := os.CreateTemp(filepath.Dir(p), ".download-*")
	if err != nil {
		return fmt.Errorf("model cache: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tmp, h), r); err != nil {
		return fmt.Errorf("downloading %s: %w", display, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		return fmt.Errorf("%s has SHA-256 %s but %s says %s: %w", display, got, MarkerFile, sum, errCorrupt)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("model cache: %w", err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("model cache: %w", err)
	}
	return nil
}

// errCorrupt marks a downloaded file whose checksum is not the marker's.
var errCorrupt = errors.New("corrupt or half-replaced file")
