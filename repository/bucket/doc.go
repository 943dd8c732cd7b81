// Package bucket serves a model repository from object storage: S3 and
// S3-compatible servers (s3://), Google Cloud Storage (gs://), Azure Blob
// Storage (azblob://) and, for tests and shared volumes, a directory
// (file://), through gocloud.dev/blob.
//
// The layout is the local repository's, under the URL's path as a prefix:
// NAME/config.yaml, NAME/N/model.onnx and the other files of a version.
// Object storage has no atomic directories, so a version appears only once
// it is complete: when its directory holds the marker object inferd.sha256,
// in the format of sha256sum, listing every file of the version with its
// SHA-256 (write it last; `inferd model push` does). Files of a version that
// the marker does not list are not seen. Files are downloaded into a local
// cache named by their checksum and verified before they are used; a
// version whose marker changes is a new file to the control loop
// (VersionEntry.FileID is the model file's checksum), so replacing a
// version in place reloads it. After every poll the cache is pruned: a
// file that no complete version's marker lists any more (its version was
// deleted or replaced) is removed once two polls in a row find it so, and
// never while it is open (a version loading reads it). In a cache
// directory given to the source every such file goes; in the shared
// default one only the files this source used.
//
// Changes are found by polling: every poll interval the prefix is listed
// and the watchers are told when any object's size, time or MD5 changed.
// Credentials come the standard way of each provider (environment,
// shared files, workload identity); an S3-compatible server is named by
// the SDK's AWS_ENDPOINT_URL or the URL's endpoint parameter. They are
// never logged.
package bucket
