package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/spf13/cobra"

	"github.com/inferd/inferd/imagebuild"
)

type imageBuildOptions struct {
	repository string
	models     []string
	tag        string
	format     string
	output     string
	push       bool
	insecure   bool
	binary     string
	arch       string
	version    string
	created    string
	labels     []string
	log        logOptions
}

func newImageCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Build container images of inferd and models",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newImageBuildCmd())
	return cmd
}

func newImageBuildCmd() *cobra.Command {
	o := imageBuildOptions{}
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Build an OCI image of inferd and a model repository, without a container daemon",
		Long: `Build makes a container image FROM scratch holding a static inferd binary at
/usr/local/bin/inferd and the selected models of a repository under /models,
one layer per model. It runs as the non-root user 65532, its entrypoint is
"inferd serve" (HTTP on 8080, gRPC on 8081, both exposed), its health check
runs "inferd healthcheck", and its annotations name the models, their versions
and the sha256 of each model file.

Without --binary, inferd is built for linux/<arch> with CGO_ENABLED=0 from the
inferd checkout holding the working directory (this needs the go command).
Without --repository the image holds no models and serves whatever repository
is mounted at /models.

The same binary, models and options give the same digest: every file has a
fixed owner, mode and time (--created, else $SOURCE_DATE_EPOCH, else 1970-01-01).

--format oci writes an OCI image layout directory at --output; --format docker
writes a tarball for "docker load" or "podman load". --push uploads the image
to the registry of --tag with the credentials of docker/podman login.`,
		Example: `  # the example repository as a tarball for podman load
  inferd image build --repository examples/models --tag localhost/inferd-examples:latest \
    --format docker --output inferd-examples.tar

  # one model version, pushed to a registry
  inferd image build --repository examples/models --model digits:1 \
    --tag registry.example.com/ml/digits:1 --push

  # no models: the repository is mounted at /models
  inferd image build --tag localhost/inferd:latest --output inferd-oci`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runImageBuild(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.repository, "repository", "", "model repository whose models go in the image (none: an image without models)")
	fs.StringArrayVar(&o.models, "model", nil, "model to include, NAME or NAME:VERSION (a number or a version label); repeatable (default: every model and version)")
	fs.StringVar(&o.tag, "tag", "", "image reference, e.g. registry.example.com/inferd:1 (required)")
	fs.StringVar(&o.format, "format", "oci", "oci (an OCI image layout directory) or docker (a tarball for docker/podman load)")
	fs.StringVarP(&o.output, "output", "o", "", "where to write the image (a directory for oci, a file for docker)")
	fs.BoolVar(&o.push, "push", false, "push the image to the registry of --tag")
	fs.BoolVar(&o.insecure, "insecure", false, "allow pushing over plain HTTP or to a registry with an untrusted certificate")
	fs.StringVar(&o.binary, "binary", "", "a prebuilt static inferd binary for linux/<arch> (default: go build from this checkout)")
	fs.StringVar(&o.arch, "arch", "amd64", "image architecture: "+strings.Join(imagebuild.Arches, " or "))
	fs.StringVar(&o.version, "version", "", "version compiled into the binary and recorded in the image (default: this inferd's version, or the --binary's)")
	fs.StringVar(&o.created, "created", "", "creation time of the image and its files, RFC 3339 or Unix seconds (default $SOURCE_DATE_EPOCH, else 1970-01-01T00:00:00Z)")
	fs.StringArrayVar(&o.labels, "label", nil, "extra label and annotation KEY=VALUE; repeatable")
	o.log.register(fs)
	return cmd
}

func runImageBuild(ctx context.Context, stdout, stderr io.Writer, o imageBuildOptions) error {
	log, err := o.log.logger()
	if err != nil {
		return err
	}
	p, err := o.plan()
	if err != nil {
		return err
	}
	binary := o.binary
	version := o.version
	if binary == "" {
		if version == "" {
			version = Version()
		}
		if binary, err = buildInferd(ctx, stderr, o.arch, version); err != nil {
			return err
		}
		defer os.RemoveAll(filepath.Dir(binary))
	}
	start := time.Now()
	img, err := imagebuild.Build(binary, append(p.opts, imagebuild.WithVersion(version), imagebuild.WithLogger(log))...)
	if err != nil {
		return err
	}
	if err := o.deliver(ctx, img, p); err != nil {
		return err
	}
	return printImage(stdout, img, p.ref, o, time.Since(start))
}

// imagePlan is what the flags of image build ask for, checked.
type imagePlan struct {
	format imagebuild.Format
	ref    name.Reference
	tag    name.Tag // ref, when it is a tag
	// opts are the build options, but for the version and the logger.
	opts []imagebuild.Option
}

// plan checks the flags of image build, in the order the help lists them.
func (o imageBuildOptions) plan() (imagePlan, error) {
	if o.tag == "" {
		return imagePlan{}, errors.New("--tag is required")
	}
	format, err := imagebuild.ParseFormat(o.format)
	if err != nil {
		return imagePlan{}, fmt.Errorf("--format: %w", err)
	}
	if o.output == "" && !o.push {
		return imagePlan{}, errors.New("nothing to do: give --output, --push or both")
	}
	var nameOpts []name.Option
	if o.insecure {
		nameOpts = append(nameOpts, name.Insecure)
	}
	ref, err := name.ParseReference(o.tag, nameOpts...)
	if err != nil {
		return imagePlan{}, fmt.Errorf("--tag: %w", err)
	}
	tag, isTag := ref.(name.Tag)
	if format == imagebuild.FormatDocker && o.output != "" && !isTag {
		return imagePlan{}, fmt.Errorf("--tag %s: a docker tarball needs a tag, not a digest", o.tag)
	}
	sels, err := parseSelectors(o.models, o.repository)
	if err != nil {
		return imagePlan{}, err
	}
	created, err := parseCreated(o.created)
	if err != nil {
		return imagePlan{}, err
	}
	labels, err := parseLabels(o.labels)
	if err != nil {
		return imagePlan{}, err
	}
	opts := []imagebuild.Option{
		imagebuild.WithArch(o.arch),
		imagebuild.WithFormat(format),
		imagebuild.WithCreated(created),
		imagebuild.WithLabels(labels),
	}
	if o.repository != "" {
		opts = append(opts, imagebuild.WithRepository(o.repository, sels...))
	}
	return imagePlan{format: format, ref: ref, tag: tag, opts: opts}, nil
}

// parseSelectors reads the --model flags, which need a --repository.
func parseSelectors(models []string, repository string) ([]imagebuild.Selector, error) {
	var sels []imagebuild.Selector
	for _, m := range models {
		s, err := imagebuild.ParseSelector(m)
		if err != nil {
			return nil, fmt.Errorf("--model: %w", err)
		}
		sels = append(sels, s)
	}
	if len(sels) > 0 && repository == "" {
		return nil, errors.New("--model needs --repository")
	}
	return sels, nil
}

// deliver writes the image to --output and pushes it with --push.
func (o imageBuildOptions) deliver(ctx context.Context, img *imagebuild.Image, p imagePlan) error {
	if o.output != "" {
		var err error
		if p.format == imagebuild.FormatOCI {
			err = imagebuild.WriteLayout(o.output, img, p.ref)
		} else {
			err = imagebuild.WriteDockerArchive(o.output, img, p.tag)
		}
		if err != nil {
			return err
		}
	}
	if !o.push {
		return nil
	}
	var ropts []remote.Option
	if o.insecure {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
		ropts = append(ropts, remote.WithTransport(tr))
	}
	return imagebuild.Push(ctx, img, p.ref, ropts...)
}

// buildInferd builds inferd for linux/arch from the checkout holding the
// working directory into a new temporary directory.
func buildInferd(ctx context.Context, stderr io.Writer, arch, version string) (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	mod, err := imagebuild.FindModule(wd)
	if err != nil {
		return "", fmt.Errorf("%w; run from an inferd checkout or give --binary", err)
	}
	dir, err := os.MkdirTemp("", "inferd-image-build-")
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "inferd")
	fmt.Fprintf(stderr, "building inferd %s for linux/%s from %s\n", version, arch, mod)
	if err := imagebuild.BuildBinary(ctx, imagebuild.BinaryOptions{ModuleDir: mod, Output: out, Arch: arch, Version: version}); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return out, nil
}

// parseCreated reads --created, else $SOURCE_DATE_EPOCH, else the epoch.
func parseCreated(s string) (time.Time, error) {
	what := "--created"
	if s == "" {
		s, what = os.Getenv("SOURCE_DATE_EPOCH"), "SOURCE_DATE_EPOCH"
	}
	if s == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	if secs, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(secs, 0).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %q is neither RFC 3339 (2006-01-02T15:04:05Z) nor Unix seconds", what, s)
	}
	return t, nil
}

func parseLabels(kvs []string) (map[string]string, error) {
	labels := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--label %q: want KEY=VALUE", kv)
		}
		labels[k] = v
	}
	return labels, nil
}

func printImage(w io.Writer, img *imagebuild.Image, ref name.Reference, o imageBuildOptions, took time.Duration) error {
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	ls, err := img.Layers()
	if err != nil {
		return err
	}
	var size int64
	for _, l := range ls {
		n, err := l.Size()
		if err != nil {
			return err
		}
		size += n
	}
	models := img.Annotations[imagebuild.AnnotationModels]
	if models == "" {
		models = "none (mount a repository at " + imagebuild.ModelsPath + ")"
	}
	fmt.Fprintf(w, "image:   %s\ndigest:  %s\nformat:  %s\nmodels:  %s\nlayers:  %d, %.1f MB compressed\n",
		ref.Name(), digest, img.Format, strings.ReplaceAll(models, ",", ", "), len(ls), float64(size)/1e6)
	if o.output != "" {
		fmt.Fprintf(w, "written: %s\n", o.output)
	}
	if o.push {
		fmt.Fprintf(w, "pushed:  %s@%s\n", ref.Context().Name(), digest)
	}
	_, err = fmt.Fprintf(w, "took:    %s\n", took.Round(time.Millisecond))
	return err
}
