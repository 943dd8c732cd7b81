package imagebuild

import (
	"fmt"
	"io"
	"log/slog"
	"time"
)

// Format is the kind of image written: its media types and its container.
type Format string

const (
	// FormatOCI is an image with OCI media types, written as an OCI image
	// layout directory.
	FormatOCI Format = "oci"
	// FormatDocker is an image with Docker v2 schema 2 media types, written
	// as a `docker save` tarball that `docker load` and `podman load` read.
	FormatDocker Format = "docker"
)

// ParseFormat parses "oci" or "docker".
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case FormatOCI, FormatDocker:
		return f, nil
	}
	return "", fmt.Errorf("image format %q is not oci or docker", s)
}

// Option configures Build.
type Option func(*options)

type options struct {
	repository string
	selectors  []Selector
	created    time.Time
	version    string
	arch       string
	format     Format
	labels     map[string]string
	log        *slog.Logger
}

func defaultOptions() options {
	return options{
		created: time.Unix(0, 0).UTC(),
		arch:    "amd64",
		format:  FormatOCI,
		log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// WithRepository puts the models of the repository at dir in the image,
// all of them or those the selectors pick. Without it the image holds no
// models, and serves whatever repository is mounted at /models.
func WithRepository(dir string, sel ...Selector) Option {
	return func(o *options) {
		o.repository = dir
		o.selectors = sel
	}
}

// WithCreated sets the image's creation time, which is also the
// modification time of every file (default: the Unix epoch, so that the
// digest depends only on the content). It is truncated to seconds.
func WithCreated(t time.Time) Option {
	return func(o *options) { o.created = t.UTC().Truncate(time.Second) }
}

// WithVersion sets the version recorded in org.opencontainers.image.version
// (default: the one compiled into the binary, else "dev").
func WithVersion(v string) Option {
	return func(o *options) { o.version = v }
}

// WithArch sets the image's architecture, a GOARCH (default amd64). The
// binary must be built for it.
func WithArch(arch string) Option {
	return func(o *options) { o.arch = arch }
}

// WithFormat chooses OCI (default) or Docker media types.
func WithFormat(f Format) Option {
	return func(o *options) { o.format = f }
}

// WithLabels adds labels (config labels and manifest annotations). They may
// override the org.opencontainers.image.* defaults but not the io.inferd.*
// keys, which describe the content.
func WithLabels(labels map[string]string) Option {
	return func(o *options) { o.labels = labels }
}

// WithLogger sets the logger for warnings (for example a version label that
// points at a version left out of the image).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.log = l
		}
	}
}
