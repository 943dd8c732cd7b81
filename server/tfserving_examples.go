package server

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/serving"
	"github.com/inferd/inferd/serving/codec"
	"github.com/inferd/inferd/tensor"
)

type tfExamplesRequest struct {
	SignatureName string                       `json:"signature_name"`
	Context       map[string]json.RawMessage   `json:"context"`
	Examples      []map[string]json.RawMessage `json:"examples"`
}

// tfExamples serves :classify and :regress: "examples" are objects of
// named input values (one row each), merged over "context".
func (s *Server) tfExamples(r *http.Request, v *serving.Version, verb string) (any, error) {
	var req tfExamplesRequest
	if err := s.tfReadJSON(r, &req); err != nil {
		return nil, err
	}
	if err := checkSignature(req.SignatureName); err != nil {
		return nil, err
	}
	if len(req.Examples) == 0 {
		return nil, errorf(http.StatusBadRequest, `request has no "examples"`)
	}
	// Check that the model fits the verb before running it.
	mem := reservationOf(r.Context())
	infer := &serving.Request{Predictions: verb == "classify", MaxPixels: s.maxPixels, Charge: mem.chargeFunc()}
	if verb == "classify" && !v.Codec().IsClassifier() {
		return nil, errorf(http.StatusBadRequest, "model %q cannot :classify: its config.yaml has no postprocess section; use :predict", v.ModelName)
	}
	if verb == "regress" {
		out, err := regressionOutput(v)
		if err != nil {
			return nil, err
		}
		infer.Outputs = []serving.OutputRequest{{Name: out}}
	}
	rows := make([]map[string]json.RawMessage, len(req.Examples))
	for i, ex := range req.Examples {
		rows[i] = maps.Clone(req.Context)
		if rows[i] == nil {
			rows[i] = map[string]json.RawMessage{}
		}
		maps.Copy(rows[i], ex)
	}
	var err error
	if infer.Inputs, err = tfNamedRows(mem, v, rows); err != nil {
		return nil, err
	}
	res, err := v.Infer(r.Context(), infer)
	if err != nil {
		return nil, err
	}
	if verb == "regress" {
		return tfRegressAnswer(res.Outputs[0], len(rows))
	}
	return tfClassifyAnswer(res.Predictions), nil
}

// tfRegressAnswer is {"results": [<value>, ...]}, one value per example.
func tfRegressAnswer(out serving.Output, examples int) (any, error) {
	t := out.Tensor
	if t.Len() != examples {
		return nil, fmt.Errorf("%w: output %q has shape %v, not one value per example", engine.ErrInvalidInput, out.Name, t.Shape())
	}
	return map[string]json.RawMessage{"results": tensor.AppendJSON(nil, mustFlat(t))}, nil
}

// tfClassifyAnswer is {"results": [[[label, score], ...], ...]}.
func tfClassifyAnswer(preds [][]codec.Prediction) any {
	results := make([][][2]any, len(preds))
	for i, row := range preds {
		results[i] = make([][2]any, len(row))
		for j, p := range row {
			results[i][j] = [2]any{p.Label, p.Score}
		}
	}
	return map[string]any{"results": results}
}

// regressionOutput is the output :regress answers: the only (or the
// postprocess) output, one float per example.
func regressionOutput(v *serving.Version) (string, error) {
	outs := v.Outputs()
	i := 0
	if len(outs) != 1 {
		i = -1
		if p := v.Config.Postprocess; p != nil {
			i = engine.IndexInfo(outs, p.Output)
		}
		if i < 0 {
			return "", errorf(http.StatusBadRequest, "model %q cannot :regress: it has %d outputs %v and no postprocess output naming one", v.ModelName, len(outs), engine.InfoNames(outs))
		}
	}
	d := outs[i]
	fits := d.DType.IsFloat() && (len(d.Shape) == 1 || len(d.Shape) == 2 && d.Shape[1] == 1)
	if !fits {
		return "", errorf(http.StatusBadRequest, "model %q cannot :regress: output %q is %v%v, a regression needs one float per example ([batch] or [batch, 1]); use :predict", v.ModelName, d.Name, d.DType, d.Shape)
	}
	return d.Name, nil
}

func mustFlat(t *tensor.Tensor) *tensor.Tensor {
	f, err := t.Reshape(t.Len())
	if err != nil {
		panic(err) // same element count: cannot fail
	}
	return f
}
