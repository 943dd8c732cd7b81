// Package client is a small Go client for the Open Inference Protocol (the
// KServe v2 predict protocol) over REST or gRPC: health, metadata and
// inference with tensor.Tensor values, the binary tensor data extension,
// and image classification through the classification extension. Over
// REST it also speaks inferd's management API: Models lists the served
// models, SetLabel and DeleteLabel move version labels, SetTraffic and
// ClearTraffic split the unversioned route.
//
//	c, err := client.New("grpc://127.0.0.1:8081") // or http://127.0.0.1:8080
//	...
//	defer c.Close()
//	res, err := c.Infer(ctx, &client.InferRequest{Model: "digits",
//		Inputs: []client.Input{{Name: "input", Tensor: x}}})
package client
