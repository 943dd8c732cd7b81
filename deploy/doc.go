// Package deploy holds inferd's deployment files: the Containerfile,
// docker-compose.yml with prometheus.yml, Kubernetes manifests
// (kubernetes/), a Helm chart (helm/inferd/) and a KServe serving runtime
// (kserve/). It has no code; its tests validate the files offline: the
// manifests and the rendered chart decode strictly into the Kubernetes API
// types and agree with each other and with the images imagebuild makes,
// the compose file loads with compose-go, and the Containerfile sets up
// the image as imagebuild does.
package deploy
