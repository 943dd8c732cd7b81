// A stand-in for the inferd checkout: BuildBinary builds its ./cmd/inferd
// in a second instead of the real server. Not part of the inferd module.
module github.com/inferd/inferd

go 1.26
