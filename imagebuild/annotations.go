package imagebuild

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Annotation keys. The org.opencontainers.image.* keys are those of the OCI
// image spec; the io.inferd.* keys describe the models in the image.
const (
	AnnotationCreated     = "org.opencontainers.image.created"
	AnnotationVersion     = "org.opencontainers.image.version"
	AnnotationTitle       = "org.opencontainers.image.title"
	AnnotationDescription = "org.opencontainers.image.description"
	AnnotationSource      = "org.opencontainers.image.source"
	// AnnotationRefName names an image in an OCI layout's index.
	AnnotationRefName = "org.opencontainers.image.ref.name"
	// AnnotationImageName is the full reference of an image in an OCI
	// layout's index, as containerd and BuildKit write it.
	AnnotationImageName = "io.containerd.image.name"

	// AnnotationModels lists the models and versions in the image:
	// "digits:1,digits:2,digits-mlp:1", sorted. Absent when there are none.
	AnnotationModels = "io.inferd.models"
	// AnnotationRepository is the model repository directory in the image.
	AnnotationRepository = "io.inferd.repository"

	inferdPrefix = "io.inferd."
)

// ModelAnnotation is the key of the annotation holding the hex sha256 of a
// model version's model file: io.inferd.model.<name>.<version>.sha256.
func ModelAnnotation(name string, version int) string {
	return inferdPrefix + "model." + name + "." + strconv.Itoa(version) + ".sha256"
}

// annotations returns the image's labels and manifest annotations.
func annotations(o options, models []Model, version string) (map[string]string, error) {
	a := map[string]string{
		AnnotationCreated:    o.created.Format(time.RFC3339),
		AnnotationVersion:    version,
		AnnotationTitle:      "inferd",
		AnnotationSource:     "https://" + ModulePath,
		AnnotationRepository: ModelsPath,
	}
	var list []string
	for _, m := range models {
		for _, v := range m.Versions {
			list = append(list, m.Name+":"+strconv.Itoa(v.Number))
			a[ModelAnnotation(m.Name, v.Number)] = v.SHA256
		}
	}
	if len(list) > 0 {
		a[AnnotationModels] = strings.Join(list, ",")
		a[AnnotationDescription] = "inferd serving " + strings.Join(list, ", ")
	} else {
		a[AnnotationDescription] = "inferd, serving the model repository mounted at " + ModelsPath
	}
	for _, k := range slices.Sorted(maps.Keys(o.labels)) { // the same error every time
		v := o.labels[k]
		if k == "" {
			return nil, fmt.Errorf("label with an empty key")
		}
		if strings.HasPrefix(k, inferdPrefix) {
			return nil, fmt.Errorf("label %s: io.inferd.* labels are set from the image's content", k)
		}
		a[k] = v
	}
	return a, nil
}
