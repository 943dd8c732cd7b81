package onnx

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/inferd/inferd/onnx/internal/onnxpb"
)

// externalRef is a parsed external_data entry list.
type externalRef struct {
	location       string
	offset, length int64
	hasLength      bool
}

func parseExternal(entries []*onnxpb.StringStringEntryProto) (externalRef, error) {
	var ref externalRef
	for _, e := range entries {
		switch e.GetKey() {
		case "location":
			ref.location = e.GetValue()
		case "offset", "length":
			v, err := strconv.ParseInt(e.GetValue(), 10, 64)
			if err != nil || v < 0 {
				return ref, fmt.Errorf("external data %s %q is not a non-negative integer", e.GetKey(), e.GetValue())
			}
			if e.GetKey() == "offset" {
				ref.offset = v
			} else {
				ref.length, ref.hasLength = v, true
			}
		}
	}
	if ref.location == "" {
		return ref, fmt.Errorf("external data has no location")
	}
	return ref, nil
}

// open opens the external data file at location (loc in the OS's syntax,
// already checked to be local) in the files given with WithFS, else in the
// base directory. It describes the file first and opens only a regular
// one: opening a named pipe would block the load until a writer came,
// and a device could be read forever.
func (d *decoder) open(location, loc string) (fs.File, error) {
	if d.opts.fsys != nil {
		name := path.Clean(location)
		if err := regular(location, fs.Stat, d.opts.fsys, name); err != nil {
			return nil, err
		}
		f, err := d.opts.fsys.Open(name)
		if err != nil {
			return nil, fmt.Errorf("external data %q: %w", location, err)
		}
		return f, nil
	}
	if d.opts.baseDir == "" {
		return nil, fmt.Errorf("external data %q needs the model's directory: use Load, WithBaseDir or WithFS", location)
	}
	if d.root == nil {
		root, err := os.OpenRoot(d.opts.baseDir)
		if err != nil {
			return nil, fmt.Errorf("open model directory for external data: %w", err)
		}
		d.root = root
	}
	if err := regular(location, func(r *os.Root, name string) (fs.FileInfo, error) { return r.Stat(name) }, d.root, loc); err != nil {
		return nil, err
	}
	f, err := d.root.OpenFile(loc, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("external data %q: %w", location, err)
	}
	return f, nil
}

// regular checks, with stat, that name in fsys is a regular file (stat
// follows symbolic links, within the directory).
func regular[F any](location string, stat func(F, string) (fs.FileInfo, error), fsys F, name string) error {
	st, err := stat(fsys, name)
	if err != nil {
		return fmt.Errorf("external data %q: %w", location, err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("external data %q is not a regular file (%v)", location, st.Mode().Type())
	}
	return nil
}

// readAt fills buf from f at offset: with ReadAt when f has it, else by
// seeking or skipping.
func readAt(f fs.File, buf []byte, offset int64) error {
	if ra, ok := f.(io.ReaderAt); ok {
		_, err := ra.ReadAt(buf, offset)
		return err
	}
	if s, ok := f.(io.Seeker); ok {
		if _, err := s.Seek(offset, io.SeekStart); err != nil {
			return err
		}
	} else if _, err := io.CopyN(io.Discard, f, offset); err != nil {
		return err
	}
	_, err := io.ReadFull(f, buf)
	return err
}

// external reads the want bytes of an external tensor. The location must be
// a relative path that stays inside the base directory; symbolic links that
// lead out of it are refused too (os.Root enforces that).
func (d *decoder) external(entries []*onnxpb.StringStringEntryProto, want int64) ([]byte, error) {
	ref, err := parseExternal(entries)
	if err != nil {
		return nil, err
	}
	loc := filepath.FromSlash(ref.location)
	if filepath.IsAbs(loc) || filepath.IsAbs(ref.location) || filepath.VolumeName(loc) != "" {
		return nil, fmt.Errorf("external data location %q is an absolute path; it must be relative to the model's directory", ref.location)
	}
	if !filepath.IsLocal(loc) {
		return nil, fmt.Errorf("external data location %q escapes the model's directory", ref.location)
	}
	f, err := d.open(ref.location, loc)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("external data %q: %w", ref.location, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("external data %q is not a regular file", ref.location)
	}
	size := st.Size()
	if ref.offset > size {
		return nil, fmt.Errorf("external data %q: offset %d is beyond the end of the file (%d bytes)", ref.location, ref.offset, size)
	}
	length := size - ref.offset
	if ref.hasLength {
		if ref.length > length {
			return nil, fmt.Errorf("external data %q: offset %d + length %d is beyond the end of the file (%d bytes)", ref.location, ref.offset, ref.length, size)
		}
		length = ref.length
	}
	if length != want && (ref.hasLength || length < want) {
		return nil, fmt.Errorf("external data %q: holds %d bytes at offset %d, the tensor needs %d", ref.location, length, ref.offset, want)
	}
	buf := make([]byte, want)
	if err := readAt(f, buf, ref.offset); err != nil && !(errors.Is(err, io.EOF) && want == 0) {
		return nil, fmt.Errorf("external data %q: %w", ref.location, err)
	}
	return buf, nil
}
