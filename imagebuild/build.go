package imagebuild

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Paths, user and ports of the images Build makes.
const (
	BinaryPath = "/usr/local/bin/inferd"
	ModelsPath = "/models"
	// UID and GID are the non-root user the server runs as (the "nonroot"
	// user of distroless images).
	UID      = 65532
	GID      = 65532
	HTTPPort = 8080
	GRPCPort = 8081
)

// AddrFile is where the images' server writes its bound addresses and
// their health check reads them (serve and healthcheck --addr-file), so
// that the check follows an --http-addr given as an argument.
const AddrFile = "/tmp/inferd.addr"

// Env is the environment of the images: `inferd serve` reads its flags
// from INFERD_* variables, so these make it serve /models on all
// interfaces.
var Env = []string{
	"PATH=/usr/local/bin",
	"INFERD_REPOSITORY=" + ModelsPath,
	"INFERD_HTTP_ADDR=0.0.0.0:" + strconv.Itoa(HTTPPort),
	"INFERD_GRPC_ADDR=0.0.0.0:" + strconv.Itoa(GRPCPort),
	"INFERD_ADDR_FILE=" + AddrFile,
}

// Entrypoint is the images' entrypoint; arguments given to the container
// are appended to it as flags of `inferd serve`.
var Entrypoint = []string{BinaryPath, "serve"}

// HealthCheck is the images' health check (Docker's HEALTHCHECK; the OCI
// config has no such field and tools that convert to OCI drop it). A
// scratch image has no curl, so inferd checks itself.
var HealthCheck = v1.HealthConfig{
	Test:        []string{"CMD", BinaryPath, "healthcheck"},
	Interval:    10 * time.Second,
	Timeout:     3 * time.Second,
	StartPeriod: 10 * time.Second,
	Retries:     3,
}

// Image is a built image (its Digest method gives the manifest digest) and
// what it holds.
type Image struct {
	v1.Image
	Format Format
	// Models are the models in the image, by name.
	Models []Model
	// Annotations are the manifest annotations (and config labels).
	Annotations map[string]string
}

// Build assembles the image of the inferd binary at binary (a static Linux
// executable for the image's architecture; see CheckBinary) and, with
// WithRepository, the selected models.
func Build(binary string, opts ...Option) (*Image, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if o.format != FormatOCI && o.format != FormatDocker {
		return nil, fmt.Errorf("image format %q is not oci or docker", o.format)
	}
	info, err := CheckBinary(binary, o.arch)
	if err != nil {
		return nil, err
	}
	var models []Model
	if o.repository != "" {
		if models, err = SelectModels(o.repository, o.selectors); err != nil {
			return nil, err
		}
		warnLabels(o, models)
	}
	version := o.version
	if version == "" {
		version = info.Version
	}
	if version == "" {
		version = "dev"
	}
	anns, err := annotations(o, models, version)
	if err != nil {
		return nil, err
	}

	mt := mediaTypes[o.format]
	base := mutate.MediaType(empty.Image, mt.manifest)
	base = mutate.ConfigMediaType(base, mt.config)
	base, err = mutate.ConfigFile(base, configFile(o, anns))
	if err != nil {
		return nil, err
	}
	adds, err := layers(o, binary, models, mt.layer)
	if err != nil {
		return nil, err
	}
	img, err := mutate.Append(base, adds...)
	if err != nil {
		return nil, err
	}
	if o.format == FormatOCI {
		// Docker manifests have no annotations; the labels carry them.
		img = mutate.Annotations(img, anns).(v1.Image)
	}
	return &Image{Image: img, Format: o.format, Models: models, Annotations: anns}, nil
}

var mediaTypes = map[Format]struct{ manifest, config, layer types.MediaType }{
	FormatOCI:    {types.OCIManifestSchema1, types.OCIConfigJSON, types.OCILayer},
	FormatDocker: {types.DockerManifestSchema2, types.DockerConfigJSON, types.DockerLayer},
}

func configFile(o options, labels map[string]string) *v1.ConfigFile {
	hc := HealthCheck
	hc.Test = slices.Clone(hc.Test)
	cf := &v1.ConfigFile{
		Architecture: o.arch,
		OS:           "linux",
		Created:      v1.Time{Time: o.created},
		Config: v1.Config{
			User:       strconv.Itoa(UID) + ":" + strconv.Itoa(GID),
			Entrypoint: slices.Clone(Entrypoint),
			Env:        slices.Clone(Env),
			ExposedPorts: map[string]struct{}{
				strconv.Itoa(HTTPPort) + "/tcp": {},
				strconv.Itoa(GRPCPort) + "/tcp": {},
			},
			Healthcheck: &hc,
			Labels:      maps.Clone(labels),
			WorkingDir:  "/",
			StopSignal:  "SIGTERM",
		},
		RootFS: v1.RootFS{Type: "layers"},
	}
	if o.arch == "arm64" {
		cf.Variant = "v8"
	}
	return cf
}

// layers makes the base, binary and model layers with their history.
func layers(o options, binary string, models []Model, mt types.MediaType) ([]mutate.Addendum, error) {
	bin, err := fileEntry(strings.TrimPrefix(BinaryPath, "/"), binary, execMode)
	if err != nil {
		return nil, fmt.Errorf("binary: %w", err)
	}
	type spec struct {
		entries []entry
		by      string
	}
	specs := []spec{
		{baseEntries(), "inferd image build: base (/etc/passwd, /etc/group, /tmp, " + ModelsPath + ")"},
		{[]entry{bin}, "inferd image build: COPY inferd " + BinaryPath},
	}
	for _, m := range models {
		es, err := modelEntries(m)
		if err != nil {
			return nil, err
		}
		vs := make([]string, len(m.Versions))
		for i, v := range m.Versions {
			vs[i] = strconv.Itoa(v.Number)
		}
		specs = append(specs, spec{es, fmt.Sprintf("inferd image build: COPY model %s versions %s %s/%s", m.Name, strings.Join(vs, ","), ModelsPath, m.Name)})
	}
	adds := make([]mutate.Addendum, len(specs))
	for i, s := range specs {
		l, err := newLayer(s.entries, o.created, mt)
		if err != nil {
			return nil, err
		}
		adds[i] = mutate.Addendum{
			Layer:     l,
			MediaType: mt,
			History:   v1.History{Created: v1.Time{Time: o.created}, CreatedBy: s.by},
		}
	}
	return adds, nil
}

// warnLabels logs version labels that point at versions left out.
func warnLabels(o options, models []Model) {
	for _, m := range models {
		in := map[int]bool{}
		for _, v := range m.Versions {
			in[v.Number] = true
		}
		for _, label := range slices.Sorted(maps.Keys(m.Labels)) {
			if n := m.Labels[label]; !in[n] {
				o.log.Warn("version label points at a version that is not in the image", "model", m.Name, "label", label, "version", n)
			}
		}
	}
}
