package bucket

import (
	"context"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// pruneState is what the cache remembers between prunes, under cache.mu.
type pruneState struct {
	// owned is set when the cache directory was given (WithCacheDir): it
	// belongs to this source, so every file in it may be pruned. In the
	// shared default directory only files this source used are.
	owned bool
	used  map[string]bool // checksums this source downloaded or opened
	open  map[string]int  // checksum → files open now
	// unused are the checksums no complete version listed at the last
	// prune: a file is removed only when two prunes in a row find it
	// unused, one poll interval apart.
	unused map[string]bool
}

// acquire records an open file of checksum sum; release undoes it.
func (c *cache) acquire(sum string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.prune.used == nil {
		c.prune.used, c.prune.open = map[string]bool{}, map[string]int{}
	}
	c.prune.used[sum] = true
	c.prune.open[sum]++
}

func (c *cache) release(sum string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.prune.open[sum]--; c.prune.open[sum] <= 0 {
		delete(c.prune.open, sum)
	}
}

// pruneFiles removes the cached files of retired versions: files whose
// checksum no complete version lists (live), by the safety rules of
// pruneState: only files this cache may own, never an open one, and only
// when the previous prune found them unused too. It returns how many
// files and bytes it removed.
func (c *cache) pruneFiles(live map[string]bool) (files int, bytes int64, err error) {
	found, err := c.cachedSums()
	if err != nil {
		return 0, 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	unused := map[string]bool{}
	for sum, size := range found {
		if live[sum] || c.prune.open[sum] > 0 || !c.prune.owned && !c.prune.used[sum] {
			continue
		}
		if !c.prune.unused[sum] {
			unused[sum] = true // removed at the next prune if still unused
			continue
		}
		if err := os.Remove(c.path(sum)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return files, bytes, err
		}
		delete(c.prune.used, sum)
		files, bytes = files+1, bytes+size
	}
	c.prune.unused = unused
	return files, bytes, nil
}

// path is where the file of checksum sum is cached.
func (c *cache) path(sum string) string { return filepath.Join(c.dir, sum[:2], sum) }

// cachedSums lists the cached files by checksum, with their sizes;
// anything else in the directory (downloads in progress) is left alone.
func (c *cache) cachedSums() (map[string]int64, error) {
	out := map[string]int64{}
	dirs, err := os.ReadDir(c.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	for _, d := range dirs {
		if !d.IsDir() || len(d.Name()) != 2 {
			continue
		}
		files, err := os.ReadDir(filepath.Join(c.dir, d.Name()))
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if _, err := hex.DecodeString(f.Name()); err != nil || len(f.Name()) != 64 || !strings.HasPrefix(f.Name(), d.Name()) {
				continue
			}
			if info, err := f.Info(); err == nil && info.Mode().IsRegular() {
				out[f.Name()] = info.Size()
			}
		}
	}
	return out, nil
}

// liveSums are the checksums the markers of a listing name: the files of
// every complete version in the repository now.
func (s *Source) liveSums(ctx context.Context, l listing) (map[string]bool, error) {
	live := map[string]bool{}
	for key, o := range l {
		_, rest, ok := versionPath(key)
		if !ok || rest != MarkerFile {
			continue
		}
		b, err := s.cache.small(ctx, s.b, key, o)
		if err != nil {
			return nil, err
		}
		sums, err := parseMarker(b)
		if err != nil {
			continue // a bad marker fails its version, which then has no files to keep
		}
		for _, sum := range sums {
			live[sum] = true
		}
	}
	return live, nil
}

// pruneCache prunes the cache against a full listing, logging what it
// removed; errors are logged, not returned (pruning is housekeeping).
func (s *Source) pruneCache(ctx context.Context, l listing) {
	live, err := s.liveSums(ctx, l)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("model cache: not pruned, a marker could not be read", "err", err)
		}
		return
	}
	files, bytes, err := s.cache.pruneFiles(live)
	if err != nil {
		s.log.Warn("model cache: pruning", "dir", s.cache.dir, "err", err)
	}
	if files > 0 {
		s.log.Info("model cache: removed the files of retired versions", "dir", s.cache.dir, "files", files, "bytes", bytes)
	}
}
