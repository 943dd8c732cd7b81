package serving

import (
	"context"
	"fmt"
	"image"
	"time"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/preprocess"
	"github.com/inferd/inferd/tensor"
)

// Run validates inputs against the version's declarations and runs the
// model. Errors caused by the inputs wrap engine.ErrInvalidInput.
func (v *Version) Run(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	out, err := v.run(ctx, inputs)
	if err == nil && v.mirror != nil {
		v.mirror(v, inputs, out)
	}
	return out, err
}

// run is Run without mirroring to a shadow version.
func (v *Version) run(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	v.runMu.RLock()
	defer v.runMu.RUnlock()
	v.mu.RLock()
	sessions, batcher, obs, state, declared := v.sessions, v.batcher, v.observer, v.state, v.inputs
	v.mu.RUnlock()
	if state != StateAvailable || len(sessions) == 0 {
		return nil, fmt.Errorf("%w: model %q version %d is %s", ErrUnavailable, v.Model, v.Number, state)
	}
	if err := engine.CheckInputs(declared, inputs); err != nil {
		return nil, err
	}
	for name, t := range inputs {
		if spec, ok := v.Config.Input(name); ok && spec.AllowNaN {
			continue
		}
		if err := tensor.CheckFinite(t); err != nil {
			return nil, fmt.Errorf("%w: input %q: %v; NaN and infinities are not allowed (set allow_nan for this input in config.yaml)", engine.ErrInvalidInput, name, err)
		}
	}
	if batcher != nil {
		out, t, err := batcher.Do(ctx, inputs)
		recordTiming(ctx, Timing{Queue: t.Queue, Compute: t.Compute, Batch: t.Batch})
		return out, err
	}
	sess := sessions[0]
	if len(sessions) > 1 {
		sess = sessions[v.next.Add(1)%uint64(len(sessions))]
	}
	start := time.Now()
	out, err := sess.Run(ctx, inputs)
	d := time.Since(start)
	recordTiming(ctx, Timing{Compute: d, Batch: batchRows(inputs)})
	obs.Batch(batchRows(inputs), d)
	return out, err
}

// Admit turns a request away at once (batch.ErrQueueFull) when the
// version's batching queue is full, before the caller spends anything on
// reading and decoding it. Without batching every request is admitted.
func (v *Version) Admit() error {
	v.mu.RLock()
	b := v.batcher
	v.mu.RUnlock()
	if b == nil {
		return nil
	}
	return b.Admit()
}

// ClassifyImages preprocesses decoded images into one batch, runs it, and
// returns the top-k predictions per image, in order.
func (v *Version) ClassifyImages(ctx context.Context, imgs []image.Image) ([][]preprocess.Prediction, error) {
	if v.imagePipeline() != nil && v.classify == nil {
		return nil, fmt.Errorf("%w: model %q has no postprocess section in config.yaml, so image answers cannot be ranked; send JSON tensors", engine.ErrInvalidInput, v.Model)
	}
	in, err := v.ImageTensor(imgs)
	if err != nil {
		return nil, err
	}
	out, err := v.Run(ctx, map[string]*tensor.Tensor{v.ImageInput(): in})
	if err != nil {
		return nil, err
	}
	return v.Classify(out)
}

// ImageInput is the input that the config's image preprocessing fills, or
// "" when the config has none.
func (v *Version) ImageInput() string {
	if p := v.imagePipeline(); p != nil {
		return p.InputName()
	}
	return ""
}

// ImageTensor preprocesses decoded images into one batch for the image
// input, as the config says. Protocols that carry encoded images as BYTES
// tensors use it before Run.
func (v *Version) ImageTensor(imgs []image.Image) (*tensor.Tensor, error) {
	p := v.imagePipeline()
	if p == nil {
		return nil, fmt.Errorf("%w: model %q has no image preprocessing in config.yaml; send JSON tensors", engine.ErrInvalidInput, v.Model)
	}
	if err := v.checkBatch(len(imgs)); err != nil {
		return nil, err
	}
	return p.Tensor(imgs)
}

func (v *Version) imagePipeline() *preprocess.Image {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.image
}

// checkBatch refuses a batch of n images when the image input's batch
// dimension is fixed to another size.
func (v *Version) checkBatch(n int) error {
	for _, in := range v.Inputs() {
		if in.Name == v.ImageInput() && len(in.Shape) > 0 && in.Shape[0] >= 0 && in.Shape[0] != n {
			return fmt.Errorf("%w: model %q takes batches of exactly %d image(s), got %d", engine.ErrInvalidInput, v.Model, in.Shape[0], n)
		}
	}
	return nil
}

// Classify ranks the classes of the configured score output, one list of
// predictions per batch row. It returns nil when the model is not
// configured as a classifier.
func (v *Version) Classify(outputs map[string]*tensor.Tensor) ([][]preprocess.Prediction, error) {
	if v.classify == nil {
		return nil, nil
	}
	name := v.Config.Postprocess.Output
	if name == "" && len(outputs) == 1 {
		for n := range outputs {
			name = n
		}
	}
	scores, ok := outputs[name]
	if !ok {
		return nil, fmt.Errorf("model %q produced no output %q to classify", v.Model, name)
	}
	preds, err := v.classify.Rank(scores)
	if err != nil {
		return nil, fmt.Errorf("classifying output %q of model %q: %w", name, v.Model, err)
	}
	return preds, nil
}
