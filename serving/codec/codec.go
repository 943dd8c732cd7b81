package codec

import (
	"fmt"
	"image"
	"strconv"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/preprocess"
	"github.com/inferd/inferd/tensor"
)

// Codec is one model version's pre- and postprocessing. It is immutable
// and safe for concurrent use.
type Codec struct {
	model   string
	inputs  []engine.TensorInfo
	outputs []engine.TensorInfo

	image      *preprocess.Image // nil without image preprocessing
	imageInput string
	// takesBytes: the image input itself is BYTES, so BYTES given for it
	// go to the model as they are.
	takesBytes bool

	// scores is the output that postprocessing ranks ("" when the model
	// has none to rank); ranker ranks it as config.yaml says.
	scores string
	ranker *Classifier
	labels []string
}

// New returns the codec of a version of model with the given config and
// effective input and output declarations.
func New(modelName string, cfg *model.Config, inputs, outputs []engine.TensorInfo) *Codec {
	c := &Codec{model: modelName, inputs: inputs, outputs: outputs}
	if cfg == nil {
		return c
	}
	if cfg.Preprocess != nil && cfg.Preprocess.Image != nil {
		c.image = preprocess.NewImage(cfg.Preprocess.Image)
		c.imageInput = c.image.InputName()
		if i := engine.IndexInfo(inputs, c.imageInput); i >= 0 && inputs[i].DType == tensor.String {
			c.takesBytes = true
		}
	}
	if p := cfg.Postprocess; p != nil {
		c.scores = p.Output
		if c.scores == "" && len(outputs) == 1 {
			c.scores = outputs[0].Name
		}
		c.ranker = &Classifier{Softmax: p.Softmax, TopK: p.TopK, Labels: cfg.Labels}
		c.labels = cfg.Labels
	} else if c.image != nil {
		c.scores = defaultScores(outputs)
		if c.scores != "" {
			c.ranker = &Classifier{TopK: DefaultTopK}
		}
	}
	return c
}

// DefaultTopK is how many classes an image model without a postprocess
// section answers with.
const DefaultTopK = 5

// defaultScores returns the output that an image model without a
// postprocess section is ranked by: its only output, when that holds float
// scores of shape [N, C] or [C]; else "" (the model is not a classifier).
// The scores are ranked as they are (no softmax), labelled "0".."C-1".
func defaultScores(outputs []engine.TensorInfo) string {
	if len(outputs) != 1 {
		return ""
	}
	o := outputs[0]
	if o.DType != tensor.Float32 && o.DType != tensor.Float64 {
		return ""
	}
	if o.Shape != nil && len(o.Shape) != 1 && len(o.Shape) != 2 {
		return ""
	}
	return o.Name
}

// Inputs and Outputs are the effective declarations the codec was built
// for.
func (c *Codec) Inputs() []engine.TensorInfo  { return c.inputs }
func (c *Codec) Outputs() []engine.TensorInfo { return c.outputs }

// ImageInput is the input that image preprocessing fills, or "".
func (c *Codec) ImageInput() string { return c.imageInput }

// AcceptsImages reports whether config.yaml describes image preprocessing.
func (c *Codec) AcceptsImages() bool { return c.image != nil }

// IsClassifier reports whether the model's outputs are ranked: config.yaml
// has a postprocess section, or the model takes images and has one float
// output of class scores (see defaultScores).
func (c *Codec) IsClassifier() bool { return c.ranker != nil }

// ScoreOutput is the output that postprocessing ranks, or "".
func (c *Codec) ScoreOutput() string { return c.scores }

// ImagesTensor decodes encoded images (PNG, JPEG, WebP) under the
// request's budget b (see DecodeImages) and preprocesses them into one
// batch for the image input. name(i) names image i in errors ("" or a nil
// name for none).
func (c *Codec) ImagesTensor(data [][]byte, b *Budget, name func(int) string) (*tensor.Tensor, error) {
	if c.image == nil {
		return nil, fmt.Errorf("%w: model %q has no image preprocessing in config.yaml; send JSON tensors", engine.ErrInvalidInput, c.model)
	}
	if err := c.checkBatch(len(data)); err != nil {
		return nil, err
	}
	imgs, err := DecodeImages(data, b, name)
	if err != nil {
		return nil, err
	}
	return c.image.Tensor(imgs)
}

// ImageTensor preprocesses decoded images into one batch for the image
// input (warm-up samples, tests).
func (c *Codec) ImageTensor(imgs []image.Image) (*tensor.Tensor, error) {
	if c.image == nil {
		return nil, fmt.Errorf("%w: model %q has no image preprocessing in config.yaml; send JSON tensors", engine.ErrInvalidInput, c.model)
	}
	if err := c.checkBatch(len(imgs)); err != nil {
		return nil, err
	}
	return c.image.Tensor(imgs)
}

// DecodeInputs replaces encoded images given as a BYTES tensor of shape
// [N] for the image input by the preprocessed batch; other inputs, and
// the BYTES of a model whose image input itself takes BYTES, pass as they
// are. The images are decoded under the request's budget b (see
// DecodeImages). inputs is not modified.
func (c *Codec) DecodeInputs(inputs map[string]*tensor.Tensor, b *Budget) (map[string]*tensor.Tensor, error) {
	t := c.EncodedImages(inputs)
	if t == nil {
		return inputs, nil
	}
	if t.Rank() != 1 || t.Len() == 0 {
		return nil, fmt.Errorf("%w: input %q: encoded images go in a BYTES tensor of shape [N], one image per element; got shape %v", engine.ErrInvalidInput, c.imageInput, t.Shape())
	}
	strs := tensor.Data[string](t)
	data := make([][]byte, len(strs))
	for i, s := range strs {
		data[i] = []byte(s)
	}
	x, err := c.ImagesTensor(data, b, func(i int) string { return fmt.Sprintf("input %q image %d", c.imageInput, i) })
	if err != nil {
		return nil, err
	}
	out := make(map[string]*tensor.Tensor, len(inputs))
	for k, v := range inputs {
		out[k] = v
	}
	out[c.imageInput] = x
	return out, nil
}

// EncodedImages returns the BYTES tensor of encoded images among inputs
// that DecodeInputs decodes into the image input, or nil when there is none.
func (c *Codec) EncodedImages(inputs map[string]*tensor.Tensor) *tensor.Tensor {
	t, ok := inputs[c.imageInput]
	if c.image == nil || !ok || t.DType() != tensor.String || c.takesBytes {
		return nil
	}
	return t
}

// checkBatch refuses a batch of n images when the image input's batch
// dimension is fixed to another size.
func (c *Codec) checkBatch(n int) error {
	if i := engine.IndexInfo(c.inputs, c.imageInput); i >= 0 {
		if s := c.inputs[i].Shape; len(s) > 0 && s[0] >= 0 && s[0] != n {
			return fmt.Errorf("%w: model %q takes batches of exactly %d image(s), got %d", engine.ErrInvalidInput, c.model, s[0], n)
		}
	}
	return nil
}

// Classify ranks the classes of the score output, one list of
// predictions per batch row, as config.yaml's postprocess section says.
// It returns nil when the model is not a classifier.
func (c *Codec) Classify(outputs map[string]*tensor.Tensor) ([][]Prediction, error) {
	if c.ranker == nil {
		return nil, nil
	}
	scores, ok := outputs[c.scores]
	if !ok {
		return nil, fmt.Errorf("model %q produced no output %q to classify", c.model, c.scores)
	}
	preds, err := c.ranker.Rank(scores)
	if err != nil {
		return nil, fmt.Errorf("classifying output %q of model %q: %w", c.scores, c.model, err)
	}
	return preds, nil
}

// CheckClassifiable refuses an output that the classification extension
// cannot rank: it needs FP32 or FP64 scores of shape [classes] or
// [batch, classes].
func (c *Codec) CheckClassifiable(name string) error {
	i := engine.IndexInfo(c.outputs, name)
	if i < 0 {
		return fmt.Errorf("%w: unknown output %q (model outputs: %v)", engine.ErrInvalidInput, name, engine.InfoNames(c.outputs))
	}
	if d := c.outputs[i]; !d.DType.IsFloat() || d.DType == tensor.Float16 || d.Shape != nil && (len(d.Shape) < 1 || len(d.Shape) > 2) {
		return fmt.Errorf("%w: output %q (%v%v) cannot be classified: classification needs FP32 or FP64 scores of shape [classes] or [batch, classes]", engine.ErrInvalidInput, name, d.DType, d.Shape)
	}
	return nil
}

// ClassifyOutput implements the classification extension: the top k
// classes of each row of an output as "score:index:label" BYTES
// ("score:index" without labels). The model's softmax and labels apply to
// its score output.
func (c *Codec) ClassifyOutput(name string, scores *tensor.Tensor, k int) (*tensor.Tensor, error) {
	r := Classifier{TopK: k}
	if c.ranker != nil && name == c.scores {
		r.Softmax, r.Labels = c.ranker.Softmax, c.labels
	}
	rows, err := r.Rank(scores)
	if err != nil {
		return nil, fmt.Errorf("classifying output %q: %w", name, err)
	}
	var data []string
	for _, row := range rows {
		for _, p := range row {
			s := strconv.FormatFloat(p.Score, 'g', -1, 32) + ":" + strconv.Itoa(p.Index)
			if len(r.Labels) > 0 {
				s += ":" + p.Label
			}
			data = append(data, s)
		}
	}
	kk := 0
	if len(rows) > 0 {
		kk = len(rows[0])
	}
	if scores.Rank() == 1 {
		return tensor.FromSlice(data, kk)
	}
	return tensor.FromSlice(data, len(rows), kk)
}
