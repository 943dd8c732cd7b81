package imagebuild

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/inferd/inferd/repository"
)

// File modes inside images: everything is owned by root and read-only to
// the user the server runs as.
const (
	dirMode  = 0o755
	fileMode = 0o644
	execMode = 0o755
	tmpMode  = 0o1777 // sticky and world-writable, like /tmp everywhere
)

// entry is one file or directory of a layer.
type entry struct {
	// name is the path in the image, relative to / and without a trailing
	// slash ("usr/local/bin/inferd").
	name string
	dir  bool
	mode int64
	// uid and gid own the entry (default 0, root).
	uid, gid int
	// A regular file's content is data, or else the file at src, whose
	// size and sha256 were recorded when the entry was made and are
	// checked again while the layer is written.
	data   []byte
	src    string
	size   int64
	sha256 string
}

// tarName is the entry's name in the archive: directories end in "/".
func (e entry) tarName() string {
	if e.dir {
		return e.name + "/"
	}
	return e.name
}

// fileEntry records a file on disk, hashing it now so that a file that
// changes while the image is built is an error rather than a different
// image.
func fileEntry(name, src string, mode int64) (entry, error) {
	sum, size, err := repository.FileSHA256(src)
	if err != nil {
		return entry{}, err
	}
	return entry{name: name, mode: mode, src: src, size: size, sha256: sum}, nil
}

// dataEntry is a file whose content is given.
func dataEntry(name string, data []byte, mode int64) entry {
	return entry{name: name, mode: mode, data: data, size: int64(len(data))}
}

// dirEntry is a directory.
func dirEntry(name string, mode int64) entry {
	return entry{name: name, dir: true, mode: mode}
}

// layerEntries sorts entries by name and adds a directory entry (mode 0755)
// for every parent not listed, so that extraction never invents one with
// its own owner or mode. Two entries with the same name are an error.
func layerEntries(entries []entry) ([]entry, error) {
	seen := map[string]bool{}
	var out []entry
	for _, e := range entries {
		if e.name == "" || path.IsAbs(e.name) || path.Clean(e.name) != e.name || strings.HasPrefix(e.name, "../") {
			return nil, fmt.Errorf("invalid path %q in layer", e.name)
		}
		if seen[e.name] {
			return nil, fmt.Errorf("path /%s is in the layer twice", e.name)
		}
		seen[e.name] = true
		out = append(out, e)
	}
	for _, e := range entries {
		for dir := path.Dir(e.name); dir != "."; dir = path.Dir(dir) {
			if !seen[dir] {
				seen[dir] = true
				out = append(out, dirEntry(dir, dirMode))
			}
		}
	}
	slices.SortFunc(out, func(a, b entry) int { return strings.Compare(a.tarName(), b.tarName()) })
	return out, nil
}

// writeTar writes the entries as an uncompressed tar stream with
// modification time mtime for every entry and no user or group names.
func writeTar(w io.Writer, entries []entry, mtime time.Time) error {
	tw := tar.NewWriter(w)
	for _, e := range entries {
		hdr := &tar.Header{
			Name:    e.tarName(),
			Mode:    e.mode,
			Uid:     e.uid,
			Gid:     e.gid,
			ModTime: mtime,
		}
		if e.dir {
			hdr.Typeflag = tar.TypeDir
		} else {
			hdr.Typeflag = tar.TypeReg
			hdr.Size = e.size
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("writing /%s: %w", e.name, err)
		}
		if e.dir {
			continue
		}
		if err := writeContent(tw, e); err != nil {
			return err
		}
	}
	return tw.Close()
}

// writeContent copies a file's content, checking that it is still the
// content recorded when the entry was made.
func writeContent(w io.Writer, e entry) error {
	if e.src == "" {
		_, err := w.Write(e.data)
		return err
	}
	f, err := os.Open(e.src)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(f, e.size))
	if err != nil {
		return fmt.Errorf("copying %s: %w", e.src, err)
	}
	var extra [1]byte
	if m, _ := f.Read(extra[:]); n != e.size || m != 0 || hex.EncodeToString(h.Sum(nil)) != e.sha256 {
		return fmt.Errorf("%s changed while the image was being built", e.src)
	}
	return nil
}

// newLayer makes a gzip-compressed layer of the entries. The tar stream is
// generated again each time the layer is read (to hash it, to compress it,
// to write it), so nothing larger than a buffer is held in memory.
func newLayer(entries []entry, mtime time.Time, mediaType types.MediaType) (v1.Layer, error) {
	entries, err := layerEntries(entries)
	if err != nil {
		return nil, err
	}
	opener := func() (io.ReadCloser, error) {
		pr, pw := io.Pipe()
		go func() {
			pw.CloseWithError(writeTar(pw, entries, mtime))
		}()
		return pr, nil
	}
	l, err := tarball.LayerFromOpener(opener, tarball.WithMediaType(mediaType))
	if err != nil {
		return nil, fmt.Errorf("building layer: %w", err)
	}
	return plainLayer{l}, nil
}

// plainLayer hides the Descriptor method of tarball layers, whose empty,
// non-nil annotations map makes the in-memory manifest differ from the
// serialized one (which omits it).
type plainLayer struct{ v1.Layer }
