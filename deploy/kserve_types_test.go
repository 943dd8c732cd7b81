package deploy

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The KServe types the deployment files use, mirrored from
// github.com/kserve/kserve (pkg/apis/serving/v1alpha1/servingruntime_types.go
// and pkg/apis/serving/v1beta1/predictor*.go, component.go) with the same
// JSON names. Only the fields inferd's files may set are here, so strict
// decoding rejects any other (and any typo); the Kubernetes parts
// (containers, volumes, resources) are the k8s.io/api types themselves.
// The kserve module itself is not used: it is not on the module proxy and
// would pull in the controller runtime and Knative.

type servingRuntime struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              servingRuntimeSpec `json:"spec"`
}

type servingRuntimeSpec struct {
	SupportedModelFormats []supportedModelFormat `json:"supportedModelFormats,omitempty"`
	MultiModel            *bool                  `json:"multiModel,omitempty"`
	Disabled              *bool                  `json:"disabled,omitempty"`
	ProtocolVersions      []string               `json:"protocolVersions,omitempty"`
	// ServingRuntimePodSpec, inline.
	Containers       []corev1.Container            `json:"containers"`
	Volumes          []corev1.Volume               `json:"volumes,omitempty"`
	NodeSelector     map[string]string             `json:"nodeSelector,omitempty"`
	Affinity         *corev1.Affinity              `json:"affinity,omitempty"`
	Tolerations      []corev1.Toleration           `json:"tolerations,omitempty"`
	Labels           map[string]string             `json:"labels,omitempty"`
	Annotations      map[string]string             `json:"annotations,omitempty"`
	ImagePullSecrets []corev1.LocalObjectReference `json:"imagePullSecrets,omitempty"`
}

type supportedModelFormat struct {
	Name       string  `json:"name"`
	Version    *string `json:"version,omitempty"`
	AutoSelect *bool   `json:"autoSelect,omitempty"`
	Priority   *int32  `json:"priority,omitempty"`
}

type inferenceService struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		Predictor predictorSpec `json:"predictor"`
	} `json:"spec"`
}

type predictorSpec struct {
	Model *modelSpec `json:"model,omitempty"`
	// ComponentExtensionSpec, inline (the fields used).
	MinReplicas *int32            `json:"minReplicas,omitempty"`
	MaxReplicas int32             `json:"maxReplicas,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type modelSpec struct {
	ModelFormat struct {
		Name    string  `json:"name"`
		Version *string `json:"version,omitempty"`
	} `json:"modelFormat"`
	Runtime *string `json:"runtime,omitempty"`
	// PredictorExtensionSpec, inline.
	StorageURI       *string `json:"storageUri,omitempty"`
	RuntimeVersion   *string `json:"runtimeVersion,omitempty"`
	ProtocolVersion  *string `json:"protocolVersion,omitempty"`
	corev1.Container `json:",inline"`
}
