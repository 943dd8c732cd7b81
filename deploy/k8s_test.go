package deploy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// object is one decoded Kubernetes object.
type object struct {
	source string // file and document, for messages
	kind   string // apiVersion/kind
	meta   *metav1.ObjectMeta
	obj    any // *appsv1.Deployment, *corev1.Service, ...
}

func (o object) String() string { return o.source + " (" + o.kind + " " + o.meta.Name + ")" }

// kinds are the API types the deployment files may use, decoded into the
// Go types of k8s.io/api (and of KServe, mirrored in kserve_types_test.go).
var kinds = map[string]func() (any, *metav1.ObjectMeta){
	"v1/ServiceAccount": func() (any, *metav1.ObjectMeta) { o := &corev1.ServiceAccount{}; return o, &o.ObjectMeta },
	"v1/ConfigMap":      func() (any, *metav1.ObjectMeta) { o := &corev1.ConfigMap{}; return o, &o.ObjectMeta },
	"v1/Service":        func() (any, *metav1.ObjectMeta) { o := &corev1.Service{}; return o, &o.ObjectMeta },
	"v1/Pod":            func() (any, *metav1.ObjectMeta) { o := &corev1.Pod{}; return o, &o.ObjectMeta },
	"v1/Secret":         func() (any, *metav1.ObjectMeta) { o := &corev1.Secret{}; return o, &o.ObjectMeta },
	"networking.k8s.io/v1/Ingress": func() (any, *metav1.ObjectMeta) {
		o := &networkingv1.Ingress{}
		return o, &o.ObjectMeta
	},
	"monitoring.coreos.com/v1/ServiceMonitor": func() (any, *metav1.ObjectMeta) {
		o := &serviceMonitor{}
		return o, &o.ObjectMeta
	},
	"apps/v1/Deployment": func() (any, *metav1.ObjectMeta) { o := &appsv1.Deployment{}; return o, &o.ObjectMeta },
	"autoscaling/v2/HorizontalPodAutoscaler": func() (any, *metav1.ObjectMeta) {
		o := &autoscalingv2.HorizontalPodAutoscaler{}
		return o, &o.ObjectMeta
	},
	"networking.k8s.io/v1/NetworkPolicy": func() (any, *metav1.ObjectMeta) {
		o := &networkingv1.NetworkPolicy{}
		return o, &o.ObjectMeta
	},
	"policy/v1/PodDisruptionBudget": func() (any, *metav1.ObjectMeta) {
		o := &policyv1.PodDisruptionBudget{}
		return o, &o.ObjectMeta
	},
	"serving.kserve.io/v1alpha1/ServingRuntime": func() (any, *metav1.ObjectMeta) {
		o := &servingRuntime{}
		return o, &o.ObjectMeta
	},
	"serving.kserve.io/v1alpha1/ClusterServingRuntime": func() (any, *metav1.ObjectMeta) {
		o := &servingRuntime{}
		return o, &o.ObjectMeta
	},
	"serving.kserve.io/v1beta1/InferenceService": func() (any, *metav1.ObjectMeta) {
		o := &inferenceService{}
		return o, &o.ObjectMeta
	},
}

// decodeObjects splits a YAML stream into documents and decodes each
// strictly, as the API server's strict field validation does: unknown and
// duplicate fields, fields in the wrong case and values of the wrong type
// are errors. Empty documents are skipped.
func decodeObjects(source string, data []byte) ([]object, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var objs []object
	var errs []error
	for i := 1; ; i++ {
		doc, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		src := fmt.Sprintf("%s#%d", source, i)
		o, err := decodeObject(src, doc)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if o != nil {
			objs = append(objs, *o)
		}
	}
	return objs, errors.Join(errs...)
}

func decodeObject(src string, doc []byte) (*object, error) {
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	if s := strings.TrimSpace(string(js)); s == "null" || s == "{}" {
		return nil, nil // only comments
	}
	var tm metav1.TypeMeta
	if err := kjson.UnmarshalCaseSensitivePreserveInts(js, &tm); err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	kind := tm.APIVersion + "/" + tm.Kind
	newObj, ok := kinds[kind]
	if !ok {
		return nil, fmt.Errorf("%s: unexpected kind %q", src, kind)
	}
	obj, meta := newObj()
	strict, err := kjson.UnmarshalStrict(js, obj, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", src, kind, err)
	}
	if len(strict) > 0 {
		return nil, fmt.Errorf("%s: %s: %w", src, kind, errors.Join(strict...))
	}
	return &object{source: src, kind: kind, meta: meta, obj: obj}, nil
}

// decodeFiles decodes every .yaml file of dir.
func decodeFiles(dir string) ([]object, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no .yaml files in %s", dir)
	}
	var objs []object
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		o, err := decodeObjects(f, data)
		if err != nil {
			return nil, err
		}
		objs = append(objs, o...)
	}
	return objs, nil
}

// find returns the objects of one type.
func find[T any](objs []object) []T {
	var out []T
	for _, o := range objs {
		if v, ok := o.obj.(T); ok {
			out = append(out, v)
		}
	}
	return out
}
