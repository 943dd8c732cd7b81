// Package imagebuild builds OCI container images of inferd and a model
// repository without a container daemon, using go-containerregistry.
//
// An image is FROM scratch: a base layer (/etc/passwd and /etc/group naming
// the non-root user 65532, /tmp, /models), a layer holding the static inferd
// binary at /usr/local/bin/inferd, and one layer per model under
// /models/<name>. Its entrypoint is `inferd serve`, configured through
// INFERD_* environment variables to serve /models on ports 8080 (HTTP) and
// 8081 (gRPC), with a health check that runs `inferd healthcheck`.
//
// Builds are reproducible: every file gets a fixed owner (0:0), mode and
// modification time (the image's creation time, the Unix epoch unless set),
// files are written in sorted order, and the config and manifest hold no
// other varying data, so the same binary, models and options give the same
// digest. Model names, versions and the sha256 of each model file are
// recorded as OCI annotations on the manifest and as labels in the config.
//
// Build assembles an image; WriteLayout, WriteDockerArchive and Push store
// it; BuildBinary and CheckBinary produce and vet the binary it carries.
package imagebuild
