package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/inferd/inferd/tensor"
)

// KServe's payload logger event types: a request and its response share
// the ce-id (the request id).
const (
	EventTypeRequest  = "org.kubeflow.serving.inference.request"
	EventTypeResponse = "org.kubeflow.serving.inference.response"
)

// CloudEvents sends captured records to an HTTP endpoint (a Knative
// broker, a Kafka bridge, any receiver of KServe's payload logger) as two
// CloudEvents each, in binary content mode: the request as an Open
// Inference Protocol request, then the response. Sending is best effort:
// a failed event is counted by the monitor and not retried.
type CloudEvents struct {
	URL    string
	Source string
	Client *http.Client
}

// send posts the events of recs.
func (c *CloudEvents) send(ctx context.Context, recs []Record) error {
	for _, r := range recs {
		req, resp, err := v2Bodies(r)
		if err != nil {
			return err
		}
		if err := c.post(ctx, r, EventTypeRequest, req); err != nil {
			return err
		}
		if err := c.post(ctx, r, EventTypeResponse, resp); err != nil {
			return err
		}
	}
	return nil
}

func (c *CloudEvents) post(ctx context.Context, r Record, typ string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("cloudevents: %w", err)
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("Ce-Specversion", "1.0")
	h.Set("Ce-Id", r.RequestID)
	h.Set("Ce-Type", typ)
	h.Set("Ce-Source", c.Source)
	h.Set("Ce-Time", r.Time.UTC().Format(time.RFC3339Nano))
	h.Set("Ce-Inferenceservicename", r.Model)
	h.Set("Ce-Modelversion", strconv.Itoa(r.Version))
	h.Set("Ce-Endpoint", r.Model)
	client := c.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("cloudevents: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("cloudevents: %s answered %s", c.URL, resp.Status)
	}
	return nil
}

// v2Tensor is a tensor of an Open Inference Protocol JSON body.
type v2Tensor struct {
	Name     string          `json:"name"`
	Shape    []int           `json:"shape"`
	Datatype string          `json:"datatype"`
	Data     json.RawMessage `json:"data"`
}

// v2Bodies renders a record as a v2 inference request and response
// (redacted inputs are left out).
func v2Bodies(r Record) (request, response []byte, err error) {
	ins, err := r.Inputs.Tensors()
	if err != nil {
		return nil, nil, err
	}
	outs, err := r.Outputs.Tensors()
	if err != nil {
		return nil, nil, err
	}
	request, err = json.Marshal(map[string]any{"id": r.RequestID, "inputs": v2Tensors(ins)})
	if err != nil {
		return nil, nil, err
	}
	response, err = json.Marshal(map[string]any{"id": r.RequestID, "model_name": r.Model,
		"model_version": strconv.Itoa(r.Version), "outputs": v2Tensors(outs)})
	return request, response, err
}

func v2Tensors(ts map[string]*tensor.Tensor) []v2Tensor {
	out := []v2Tensor{}
	for _, name := range sortedNames(ts) {
		t := ts[name]
		flat, _ := t.Reshape(t.Len()) // the same elements: cannot fail
		dt := t.DType().String()
		data := tensor.AppendJSON(nil, flat)
		if strs, ok := t.Data().([]string); ok { // encoded images as {"b64": …}
			data = appendStringsJSON(nil, strs, []int{t.Len()})
		}
		out = append(out, v2Tensor{Name: name, Shape: t.Shape(), Datatype: dt, Data: data})
	}
	return out
}
