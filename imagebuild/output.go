package imagebuild

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/match"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// WriteLayout stores the image in the OCI image layout at dir, named by
// ref: the index entry's org.opencontainers.image.ref.name is the tag (or
// digest) and io.containerd.image.name the full reference, so that
// `podman pull oci:DIR:TAG` and `skopeo copy oci:DIR:TAG ...` find it. A
// missing or empty dir is created; an existing layout keeps its other
// images, the image previously named ref is replaced and blobs nothing
// refers to any more are removed. Any other existing dir is an error.
func WriteLayout(dir string, img *Image, ref name.Reference) error {
	anns := map[string]string{
		AnnotationRefName:   ref.Identifier(),
		AnnotationImageName: ref.Name(),
	}
	p, err := openLayout(dir)
	if err != nil {
		return err
	}
	if err := p.ReplaceImage(img, match.Annotation(AnnotationImageName, ref.Name()), layout.WithAnnotations(anns)); err != nil {
		return fmt.Errorf("writing OCI layout %s: %w", dir, err)
	}
	unused, err := p.GarbageCollect()
	if err != nil {
		return fmt.Errorf("OCI layout %s: %w", dir, err)
	}
	for _, h := range unused {
		if err := p.RemoveBlob(h); err != nil {
			return fmt.Errorf("OCI layout %s: %w", dir, err)
		}
	}
	return nil
}

// openLayout opens the OCI layout at dir, creating it if dir is missing or
// empty.
func openLayout(dir string) (layout.Path, error) {
	des, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist) || err == nil && len(des) == 0:
		p, err := layout.Write(dir, empty.Index)
		if err != nil {
			return "", fmt.Errorf("creating OCI layout %s: %w", dir, err)
		}
		return p, nil
	case err != nil:
		return "", fmt.Errorf("OCI layout %s: %w", dir, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err != nil {
		return "", fmt.Errorf("%s exists and is not an OCI image layout (no oci-layout file); choose an empty or new directory", dir)
	}
	p, err := layout.FromPath(dir)
	if err != nil {
		return "", fmt.Errorf("OCI layout %s: %w", dir, err)
	}
	return p, nil
}

// WriteDockerArchive writes the image as a `docker save` tarball at path,
// tagged tag, replacing any file there (atomically: the tarball is written
// next to it, then renamed).
func WriteDockerArchive(path string, img *Image, tag name.Tag) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	if err := tarball.Write(tag, img, tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Push uploads the image to its registry as ref, with the credentials of
// the Docker and Podman configuration (docker login, podman login) and
// any further remote options.
func Push(ctx context.Context, img *Image, ref name.Reference, opts ...remote.Option) error {
	opts = append([]remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(authn.DefaultKeychain),
		remote.WithUserAgent("inferd-image-build"),
	}, opts...)
	if err := remote.Write(ref, img, opts...); err != nil {
		return fmt.Errorf("pushing %s: %w", ref, err)
	}
	return nil
}
