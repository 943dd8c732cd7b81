package deploy

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/inferd/inferd/imagebuild"
)

func TestKServe(t *testing.T) {
	objs, err := decodeFiles("kserve")
	if err != nil {
		t.Fatal(err)
	}
	if err := checkObjects(objs); err != nil {
		t.Fatal(err)
	}
	runtimes := find[*servingRuntime](objs)
	services := find[*inferenceService](objs)
	if len(runtimes) != 1 || len(services) != 1 {
		t.Fatalf("want one ServingRuntime and one InferenceService, have %v", objs)
	}
	rt, isvc := runtimes[0], services[0]

	t.Run("runtime", func(t *testing.T) {
		for _, p := range []string{"v2", "grpc-v2"} {
			if !slices.Contains(rt.Spec.ProtocolVersions, p) {
				t.Errorf("protocolVersions %v lack %s", rt.Spec.ProtocolVersions, p)
			}
		}
		if len(rt.Spec.Containers) != 1 || rt.Spec.Containers[0].Name != "kserve-container" {
			t.Fatalf("containers %v: KServe needs one named kserve-container", rt.Spec.Containers)
		}
		c := rt.Spec.Containers[0]
		for _, err := range checkContainer(c, nil, nil, false) {
			t.Error(err)
		}
		// KServe's storage initializer puts the storageUri's content in
		// /mnt/models; inferd serves it as its repository.
		for _, want := range []string{
			"--repository=/mnt/models",
			fmt.Sprintf("--http-addr=0.0.0.0:%d", imagebuild.HTTPPort),
			fmt.Sprintf("--grpc-addr=0.0.0.0:%d", imagebuild.GRPCPort),
		} {
			if !slices.Contains(c.Args, want) {
				t.Errorf("args %q lack %s", c.Args, want)
			}
		}
		if c.Command != nil {
			t.Errorf("command %q replaces the image's entrypoint", c.Command)
		}
		// The REST port first (KServe's default route), then the gRPC
		// one, named h2c as KServe and Knative recognise it, and the
		// port of --grpc-addr.
		grpcAddr := fmt.Sprintf("--grpc-addr=0.0.0.0:%d", imagebuild.GRPCPort)
		if len(c.Ports) != 2 || c.Ports[0].ContainerPort != imagebuild.HTTPPort || c.Ports[1].Name != "h2c" ||
			c.Ports[1].ContainerPort != imagebuild.GRPCPort || !slices.Contains(c.Args, grpcAddr) {
			t.Errorf("ports %v: want REST on %d, then h2c on %d as %s says", c.Ports, imagebuild.HTTPPort, imagebuild.GRPCPort, grpcAddr)
		}
		port := intstr.FromInt32(imagebuild.HTTPPort)
		if p := c.ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/v2/health/ready" || p.HTTPGet.Port != port {
			t.Errorf("readiness probe %+v, want the v2 ready endpoint", p)
		}
		if p := c.LivenessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/v2/health/live" || p.HTTPGet.Port != port {
			t.Errorf("liveness probe %+v, want the v2 live endpoint", p)
		}
		if sc := c.SecurityContext; sc == nil || sc.RunAsUser == nil || *sc.RunAsUser != imagebuild.UID {
			t.Errorf("securityContext %+v: want the image's user %d", sc, imagebuild.UID)
		}
	})

	t.Run("inference service", func(t *testing.T) {
		for _, msg := range validation.IsDNS1035Label(isvc.Name) {
			t.Errorf("name %q: %s", isvc.Name, msg)
		}
		m := isvc.Spec.Predictor.Model
		if m == nil || m.Runtime == nil || *m.Runtime != rt.Name {
			t.Fatalf("predictor.model %+v does not name the runtime %s", m, rt.Name)
		}
		if m.StorageURI == nil || !strings.Contains(*m.StorageURI, "://") {
			t.Errorf("storageUri %v", m.StorageURI)
		}
		if m.ProtocolVersion == nil || !slices.Contains(rt.Spec.ProtocolVersions, *m.ProtocolVersion) {
			t.Errorf("protocolVersion %v is not one of the runtime's %v", m.ProtocolVersion, rt.Spec.ProtocolVersions)
		}
		supported := false
		for _, f := range rt.Spec.SupportedModelFormats {
			if f.Name == m.ModelFormat.Name && (m.ModelFormat.Version == nil || f.Version != nil && *f.Version == *m.ModelFormat.Version) {
				supported = true
			}
		}
		if !supported {
			t.Errorf("model format %+v is not supported by the runtime (%+v)", m.ModelFormat, rt.Spec.SupportedModelFormats)
		}
		if min := isvc.Spec.Predictor.MinReplicas; min != nil && *min > isvc.Spec.Predictor.MaxReplicas {
			t.Errorf("minReplicas %d > maxReplicas %d", *min, isvc.Spec.Predictor.MaxReplicas)
		}
	})
}

func TestKServeTypesAreStrict(t *testing.T) {
	doc := "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: x\nspec:\n  predictor:\n    model:\n      modelFormat: {name: onnx}\n      storageURI: pvc://m/\n"
	if _, err := decodeObjects("isvc.yaml", []byte(doc)); err == nil || !strings.Contains(err.Error(), `unknown field "spec.predictor.model.storageURI"`) {
		t.Fatalf("err = %v", err)
	}
}
