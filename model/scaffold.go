package model

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// ScaffoldOptions says what a written config.yaml sets up beyond the
// defaults.
type ScaffoldOptions struct {
	// Source names the model file the summary was read from, for the
	// header comment.
	Source string
	// Image adds an image preprocessing section for the model's input.
	Image bool
	// Labels, when set, is the labels file (relative to the model
	// directory) of a postprocess section.
	Labels string
}

// Scaffold returns a commented config.yaml for a model with summary s. It
// sets only what cannot be read from the model file; what the file
// declares is shown in comments. It fails when the image section cannot
// fit the model's inputs.
func Scaffold(s *Summary, o ScaffoldOptions) ([]byte, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "# config.yaml written by `inferd model add` from %s", filepath.Base(o.Source))
	if s.Producer != "" {
		fmt.Fprintf(&b, " (%s)", s.Producer)
	}
	b.WriteString(".\n# Every key is optional: what is not set here is read from the model file.\n")
	fmt.Fprintf(&b, "# Operator sets: %s.\n#\n", s.OpsetText())
	b.WriteString("# The model file declares (restate them only to narrow a variable dimension):\n")
	writeValues(&b, "inputs", s.Inputs)
	writeValues(&b, "outputs", s.Outputs)
	b.WriteString("\nplatform: onnx\n")
	if o.Image {
		if err := writeImage(&b, s.TensorInputs()); err != nil {
			return nil, err
		}
	}
	writePostprocess(&b, s.TensorOutputs(), o)
	return []byte(b.String()), nil
}

// writeValues writes inputs or outputs as commented config.yaml.
func writeValues(b *strings.Builder, key string, vals []Value) {
	fmt.Fprintf(b, "# %s:\n", key)
	for _, v := range vals {
		if v.Tensor == nil {
			fmt.Fprintf(b, "#   - %s: %s (not a tensor: served through the v2 protocol only)\n", v.Name, v.Type)
			continue
		}
		fmt.Fprintf(b, "#   - {name: %s, datatype: %v", yamlString(v.Name), v.Tensor.DataType)
		if v.Tensor.Shape != nil {
			fmt.Fprintf(b, ", shape: %s", shapeText(v.Tensor.Shape))
		}
		fmt.Fprintf(b, "}   # %s\n", v.Type)
	}
}

// writeImage writes an image preprocessing section for the model's input,
// with what is read from its shape spelled out.
func writeImage(b *strings.Builder, inputs []TensorSpec) error {
	p := &ImagePreprocess{}
	p.setDefaults()
	img, err := p.ForModel(inputs)
	if err != nil {
		return fmt.Errorf("image preprocessing: %w", err)
	}
	in, _ := findSpec(inputs, img.Input)
	b.WriteString("\n# Images posted to the model become its input as this section says.\npreprocess:\n  image:\n")
	fmt.Fprintf(b, "    input: %s\n", yamlString(img.Input))
	fmt.Fprintf(b, "    color: %s   # gray, rgb or bgr: the input has %s channel(s)\n", img.Color, dimText(in.Shape, img.Layout, 'C'))
	fmt.Fprintf(b, "    layout: %s   # read from the input's shape %s\n", img.Layout, shapeText(in.Shape))
	if r := img.Resize; r != nil {
		fmt.Fprintf(b, "    resize: {width: %d, height: %d, filter: bilinear}   # the input's fixed size; or resize: {shorter_side: 256} with center_crop\n", r.Width, r.Height)
	} else {
		b.WriteString("    # resize: {width: 224, height: 224}   # the input takes any size; set the one the model was trained at\n")
	}
	b.WriteString("    # scale: 0.00392156862745098   # the default, 1/255: pixels to [0, 1]\n")
	b.WriteString("    # mean: [0.485, 0.456, 0.406]   # default 0; these are ImageNet's, as torchvision models expect\n")
	b.WriteString("    # std: [0.229, 0.224, 0.225]    # default 1\n")
	return nil
}

// writePostprocess writes the postprocess section: a live one with a labels
// file, else a commented one that says the default.
func writePostprocess(b *strings.Builder, outputs []TensorSpec, o ScaffoldOptions) {
	if o.Labels == "" {
		if o.Image {
			b.WriteString("\n# Without a postprocess section, image requests are answered with the top 5\n")
			b.WriteString("# raw scores of the only output, labelled by class index (\"0\", \"1\", ...).\n")
		}
		b.WriteString("# postprocess:\n#   softmax: true   # turn the scores into probabilities\n#   top_k: 5\n#   labels: labels.txt\n")
		return
	}
	b.WriteString("\n# Image answers rank the class scores of the output with these labels.\npostprocess:\n")
	if len(outputs) > 1 {
		names := make([]string, len(outputs))
		for i, out := range outputs {
			names[i] = out.Name
		}
		fmt.Fprintf(b, "  output: %s   # the class scores: one of %s\n", yamlString(outputs[0].Name), strings.Join(names, ", "))
	}
	fmt.Fprintf(b, "  labels: %s   # one label per line, in class order\n", yamlString(o.Labels))
	b.WriteString("  top_k: 5\n  # softmax: true   # turn the scores into probabilities\n")
}

// shapeText renders a shape as YAML: [-1, 3, 224, 224].
func shapeText(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = strconv.Itoa(d)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// dimText renders the dimension named by c ('C', 'H' or 'W') of a 4-D
// shape in layout; "a variable number of" when it is not fixed.
func dimText(shape []int, layout string, c byte) string {
	if len(shape) != 4 {
		return "an unknown number of"
	}
	d := shape[strings.IndexByte(layout, c)]
	if d < 0 {
		return "a variable number of"
	}
	return strconv.Itoa(d)
}

// yamlString quotes s when YAML would not read it back as the same plain
// string.
func yamlString(s string) string {
	plain := s != "" && !strings.ContainsAny(s, ":#{}[],&*!|>'\"%@`\n ") && !strings.HasPrefix(s, "-")
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		plain = false
	}
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "null", "~":
		plain = false
	}
	if plain {
		return s
	}
	return strconv.Quote(s)
}
