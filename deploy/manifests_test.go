package deploy

import (
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/inferd/inferd/imagebuild"
)

func TestKubernetesManifests(t *testing.T) {
	objs, err := decodeFiles("kubernetes")
	if err != nil {
		t.Fatal(err)
	}
	if err := checkObjects(objs); err != nil {
		t.Fatal(err)
	}
	ds := find[*appsv1.Deployment](objs)
	if len(ds) != 1 || len(find[*corev1.Service](objs)) != 1 || len(find[*autoscalingv2.HorizontalPodAutoscaler](objs)) != 1 || len(find[*policyv1.PodDisruptionBudget](objs)) != 1 {
		t.Fatalf("want one Deployment, Service, HorizontalPodAutoscaler and PodDisruptionBudget; have %v", objs)
	}
	spec := &ds[0].Spec.Template.Spec
	checkInferdPod(t, spec)
	// The repository comes from an init step into a volume.
	if len(spec.InitContainers) != 1 || !mounts(spec.InitContainers[0], "models", imagebuild.ModelsPath, false) {
		t.Errorf("no init container filling the models volume: %+v", spec.InitContainers)
	}
	if !mounts(spec.Containers[0], "models", imagebuild.ModelsPath, true) {
		t.Errorf("the models volume is not mounted read-only at %s", imagebuild.ModelsPath)
	}
	if ds[0].Spec.Replicas != nil {
		t.Error("the Deployment sets replicas, which the HPA owns")
	}
}

// checkInferdPod checks the pod of an inferd Deployment against what the
// issue asks and what the image does: readiness on /readyz, liveness on
// /healthz, resources, a read-only root filesystem, the image's user and
// ports.
func checkInferdPod(t *testing.T, spec *corev1.PodSpec) {
	t.Helper()
	if len(spec.Containers) != 1 {
		t.Fatalf("%d containers, want inferd alone", len(spec.Containers))
	}
	c := spec.Containers[0]
	// Under mutual TLS the kubelet, which has no client certificate, can
	// only check that the port accepts connections.
	mtls := slices.ContainsFunc(c.Args, func(a string) bool { return strings.HasPrefix(a, "--tls-client-ca=") })
	probe := func(name string, p *corev1.Probe, path string) {
		if mtls && p != nil && p.TCPSocket != nil && p.TCPSocket.Port == intstr.FromString("http") {
			return
		}
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != path || p.HTTPGet.Port != intstr.FromString("http") {
			t.Errorf("%s probe %+v, want GET %s on the http port", name, p, path)
		}
	}
	probe("readiness", c.ReadinessProbe, "/readyz")
	probe("liveness", c.LivenessProbe, "/healthz")
	want := map[string]int32{"http": imagebuild.HTTPPort, "grpc": imagebuild.GRPCPort}
	for _, p := range c.Ports {
		if want[p.Name] != p.ContainerPort {
			t.Errorf("port %s is %d, want %d as in the image", p.Name, p.ContainerPort, want[p.Name])
		}
		delete(want, p.Name)
	}
	if len(want) != 0 {
		t.Errorf("ports missing: %v", want)
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources %+v: want CPU and memory requests and a memory limit", c.Resources)
	}
	psc := spec.SecurityContext
	if psc == nil || psc.RunAsUser == nil || *psc.RunAsUser != imagebuild.UID || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		t.Errorf("pod securityContext %+v: want runAsNonRoot and the image's user %d", psc, imagebuild.UID)
	}
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		t.Error("the pod gets a service account token it does not need")
	}
	if !mounts(c, "tmp", "/tmp", false) {
		t.Error("no writable /tmp next to the read-only root filesystem")
	}
	for _, a := range c.Args {
		if !strings.HasPrefix(a, "--") {
			t.Errorf("argument %q: the entrypoint is `inferd serve`, so arguments are its flags (--flag=value)", a)
		}
	}
	if c.Command != nil {
		t.Errorf("command %q replaces the image's entrypoint", c.Command)
	}
}

func mounts(c corev1.Container, volume, path string, readOnly bool) bool {
	for _, m := range c.VolumeMounts {
		if m.Name == volume && m.MountPath == path && m.ReadOnly == readOnly {
			return true
		}
	}
	return false
}

// Strict decoding catches what a lenient YAML parse lets through.
func TestDecodeObjectsIsStrict(t *testing.T) {
	const head = "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n"
	tests := []struct {
		name, doc, want string
	}{
		{"unknown field", head + "spec:\n  prots: []\n", `unknown field "spec.prots"`},
		{"wrong case", head + "spec:\n  Ports: []\n", `unknown field "spec.Ports"`},
		{"duplicate key", head + "spec:\n  type: ClusterIP\n  type: NodePort\n", `"type" already set in map`},
		{"wrong type", head + "spec:\n  ports:\n    - port: \"eighty\"\n", "cannot unmarshal string"},
		{"bad quantity", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      resources:\n        limits:\n          memory: lots\n", "quantities must match"},
		{"unknown kind", "apiVersion: v1\nkind: Endpoints\nmetadata:\n  name: s\n", `unexpected kind "v1/Endpoints"`},
		{"unknown version", "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: h\n", `unexpected kind "autoscaling/v1/HorizontalPodAutoscaler"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeObjects("test.yaml", []byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
	objs, err := decodeObjects("test.yaml", []byte("# a comment\n---\n"+head+"---\n"))
	if err != nil || len(objs) != 1 {
		t.Fatalf("comments and empty documents: %v, %d objects", err, len(objs))
	}
}

// checkObjects catches manifests that decode but do not work.
func TestCheckObjectsRejects(t *testing.T) {
	tests := []struct {
		name   string
		break_ func(objs []object)
		want   string
	}{
		{"selector", func(objs []object) {
			find[*appsv1.Deployment](objs)[0].Spec.Selector.MatchLabels["app.kubernetes.io/name"] = "other"
		}, "does not select the pod template's labels"},
		{"writable root", func(objs []object) {
			f := false
			find[*appsv1.Deployment](objs)[0].Spec.Template.Spec.Containers[0].SecurityContext.ReadOnlyRootFilesystem = &f
		}, "readOnlyRootFilesystem must be true"},
		{"probe port", func(objs []object) {
			find[*appsv1.Deployment](objs)[0].Spec.Template.Spec.Containers[0].ReadinessProbe.HTTPGet.Port = intstr.FromString("web")
		}, `probe port "web" is not a port`},
		{"volume", func(objs []object) {
			find[*appsv1.Deployment](objs)[0].Spec.Template.Spec.Volumes[0].Name = "model"
		}, `volumeMount "models" names no volume`},
		{"service port", func(objs []object) {
			find[*corev1.Service](objs)[0].Spec.Ports[0].TargetPort = intstr.FromString("https")
		}, `targetPort "https" is no container port`},
		{"hpa target", func(objs []object) {
			find[*autoscalingv2.HorizontalPodAutoscaler](objs)[0].Spec.ScaleTargetRef.Name = "inferd-old"
		}, "is not a Deployment of the set"},
		{"pdb selector", func(objs []object) {
			find[*policyv1.PodDisruptionBudget](objs)[0].Spec.Selector.MatchLabels = map[string]string{"app": "x"}
		}, "selects no Deployment's pods"},
		{"config map key", func(objs []object) {
			find[*corev1.ConfigMap](objs)[0].Data = nil
		}, `has no key "url"`},
		{"label", func(objs []object) {
			find[*corev1.Service](objs)[0].Labels["bad key!"] = "x"
		}, "metadata.labels"},
		{"requests over limits", func(objs []object) {
			c := &find[*appsv1.Deployment](objs)[0].Spec.Template.Spec.Containers[0]
			c.Resources.Requests[corev1.ResourceMemory] = c.Resources.Limits[corev1.ResourceMemory].DeepCopy()
			q := c.Resources.Requests[corev1.ResourceMemory]
			q.Add(q)
			c.Resources.Requests[corev1.ResourceMemory] = q
		}, "exceeds the limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := decodeFiles("kubernetes")
			if err != nil {
				t.Fatal(err)
			}
			tt.break_(objs)
			if err := checkObjects(objs); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
