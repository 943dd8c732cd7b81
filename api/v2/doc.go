// Package v2 holds the wire types of the Open Inference Protocol (the KServe
// "v2" predict protocol): the gRPC service generated from
// grpc_predict_v2.proto, the JSON objects of the REST API, and the
// conversions between them and tensor.Tensor that servers and clients
// share: the binary tensor data extension (little-endian elements, BYTES
// with 4-byte length prefixes), typed gRPC contents and shapes.
//
// Regenerate the gRPC code with scripts/gen-api-proto.sh; CI runs it with
// --check so that the committed code never goes stale.
package v2
