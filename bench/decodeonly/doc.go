// Command decodeonly is the floor of the comparison in bench/: a bare
// net/http server whose handler reads the request body, decodes it as a PNG
// and answers the image's size as JSON, doing nothing else. No model, no
// routing, no metrics: what is left of a request's cost when the inference
// is free. bench/run.sh loads it with `inferd bench` beside inferd and Flask.
//
//	go run ./bench/decodeonly --addr 127.0.0.1:8090
package main
