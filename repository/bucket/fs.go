package bucket

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// bucketFS is a listing of the bucket seen as a file system: the
// directories are the keys' prefixes, and a version directory shows only
// once its marker exists, with only the files the marker lists.
type bucketFS struct {
	src     *Source
	listing listing

	once     sync.Once
	children map[string]map[string]bool // directory → child name → is a directory
}

// index builds the directory tree of the listing.
func (f *bucketFS) index() map[string]map[string]bool {
	f.once.Do(func() {
		f.children = map[string]map[string]bool{".": {}}
		for key := range f.listing {
			if !fs.ValidPath(key) {
				continue // such as keys with "//" or a trailing slash
			}
			parent := "."
			for _, part := range strings.Split(key, "/") {
				child := part
				if parent != "." {
					child = parent + "/" + part
				}
				if f.children[parent] == nil {
					f.children[parent] = map[string]bool{}
				}
				f.children[parent][part] = f.children[parent][part] || child != key
				parent = child
			}
		}
	})
	return f.children
}

// versionPath splits a path inside a version directory: MODEL/N[/REST].
func versionPath(name string) (dir, rest string, ok bool) {
	parts := strings.SplitN(name, "/", 3)
	if len(parts) < 2 {
		return "", "", false
	}
	if n, err := strconv.Atoi(parts[1]); err != nil || n <= 0 || strconv.Itoa(n) != parts[1] {
		return "", "", false
	}
	dir = parts[0] + "/" + parts[1]
	if len(parts) == 3 {
		rest = parts[2]
	}
	return dir, rest, true
}

// sums reads the marker of a version directory; fs.ErrNotExist when it
// has none (the version is incomplete).
func (f *bucketFS) sums(dir string) (map[string]string, error) {
	key := dir + "/" + MarkerFile
	o, ok := f.listing[key]
	if !ok {
		return nil, fs.ErrNotExist
	}
	b, err := f.src.cache.small(context.Background(), f.src.b, key, o)
	if err != nil {
		return nil, err
	}
	sums, err := parseMarker(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.src.displayPath(key), err)
	}
	return sums, nil
}

// Stat implements fs.StatFS.
func (f *bucketFS) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return dirInfo("."), nil
	}
	if dir, rest, ok := versionPath(name); ok {
		return f.statVersion(name, dir, rest)
	}
	if o, ok := f.listing[name]; ok {
		return &fileInfo{name: path.Base(name), o: o, id: o.identity()}, nil
	}
	if _, ok := f.index()[name]; ok {
		return dirInfo(path.Base(name)), nil
	}
	return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
}

// statVersion stats a path in a version directory, as the marker allows.
func (f *bucketFS) statVersion(name, dir, rest string) (fs.FileInfo, error) {
	if _, ok := f.listing[dir+"/"+MarkerFile]; ok && rest == "" {
		return dirInfo(path.Base(name)), nil // complete: the marker need not be read yet
	}
	sums, err := f.sums(dir)
	if err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	if rest == "" {
		return dirInfo(path.Base(name)), nil
	}
	if sum, ok := sums[rest]; ok {
		o, ok := f.listing[name]
		if !ok {
			return nil, &fs.PathError{Op: "stat", Path: name, Err: fmt.Errorf("listed in %s but not in the bucket: %w", MarkerFile, fs.ErrNotExist)}
		}
		return &fileInfo{name: path.Base(name), o: o, id: "sha256:" + sum, sum: sum}, nil
	}
	for p := range sums {
		if strings.HasPrefix(p, rest+"/") {
			return dirInfo(path.Base(name)), nil
		}
	}
	return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
}

// ReadDir implements fs.ReadDirFS.
func (f *bucketFS) ReadDir(name string) ([]fs.DirEntry, error) {
	st, err := f.Stat(name)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fmt.Errorf("not a directory")}
	}
	var out []fs.DirEntry
	for child := range f.index()[name] {
		p := child
		if name != "." {
			p = name + "/" + child
		}
		if st, err := f.Stat(p); err == nil {
			out = append(out, fs.FileInfoToDirEntry(st))
		}
	}
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return out, nil
}

// Open implements fs.FS. Version files come from the verified cache,
// other files (config.yaml, labels) from memory.
func (f *bucketFS) Open(name string) (fs.File, error) {
	st, err := f.Stat(name)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: unwrapPath(err)}
	}
	if st.IsDir() {
		entries, err := f.ReadDir(name)
		if err != nil {
			return nil, err
		}
		return &dirFile{info: st, entries: entries}, nil
	}
	fi := st.(*fileInfo)
	if fi.sum != "" {
		return f.openCached(name, fi)
	}
	b, err := f.src.cache.small(context.Background(), f.src.b, name, fi.o)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &memFile{Reader: bytes.NewReader(b), info: fi}, nil
}

// openCached opens a version file from the verified cache, held open
// against pruning until closed. A file another server sharing the cache
// pruned between the check and the open is downloaded again.
func (f *bucketFS) openCached(name string, fi *fileInfo) (fs.File, error) {
	c := f.src.cache
	c.acquire(fi.sum)
	for attempt := 0; ; attempt++ {
		p, err := c.verified(context.Background(), f.src.b, name, fi.sum, f.src.displayPath(name))
		var file *os.File
		if err == nil {
			file, err = os.Open(p)
		}
		if err == nil {
			return &cachedFile{File: file, info: fi, release: func() { c.release(fi.sum) }}, nil
		}
		if attempt > 0 || !errors.Is(err, fs.ErrNotExist) {
			c.release(fi.sum)
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
	}
}

func unwrapPath(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

// fileInfo describes an object. id is its identity for the control loop
// (repository's fileIDer): the checksum for version files.
type fileInfo struct {
	name string
	o    object
	id   string
	sum  string // the marker's checksum, for version files
}

func (i *fileInfo) Name() string       { return i.name }
func (i *fileInfo) Size() int64        { return i.o.size }
func (i *fileInfo) Mode() fs.FileMode  { return 0o444 }
func (i *fileInfo) ModTime() time.Time { return i.o.modTime }
func (i *fileInfo) IsDir() bool        { return false }
func (i *fileInfo) Sys() any           { return i }

// FileID is VersionEntry.FileID.
func (i *fileInfo) FileID() string { return i.id }

// dirInfo describes a directory (a prefix of keys).
type dirInfo string

func (d dirInfo) Name() string       { return string(d) }
func (d dirInfo) Size() int64        { return 0 }
func (d dirInfo) Mode() fs.FileMode  { return fs.ModeDir | 0o555 }
func (d dirInfo) ModTime() time.Time { return time.Time{} }
func (d dirInfo) IsDir() bool        { return true }
func (d dirInfo) Sys() any           { return nil }

type cachedFile struct {
	*os.File
	info    fs.FileInfo
	release func()
	once    sync.Once
}

// Close closes the file and lets the cache prune it again.
func (f *cachedFile) Close() error {
	f.once.Do(f.release)
	return f.File.Close()
}

func (f *cachedFile) Stat() (fs.FileInfo, error) { return f.info, nil }

type memFile struct {
	*bytes.Reader
	info fs.FileInfo
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *memFile) Close() error               { return nil }

type dirFile struct {
	info    fs.FileInfo
	entries []fs.DirEntry
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.Name(), Err: fmt.Errorf("is a directory")}
}
func (d *dirFile) Close() error { return nil }
func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	if n <= 0 {
		out := d.entries
		d.entries = nil
		return out, nil
	}
	if len(d.entries) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(d.entries))
	out := d.entries[:n]
	d.entries = d.entries[n:]
	return out, nil
}
