package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/inferd/inferd/api/client"
	v2 "github.com/inferd/inferd/api/v2"
	"github.com/inferd/inferd/tensor"
)

type predictOptions struct {
	url     string
	topK    int
	binary  bool
	input   string
	output  string
	timeout time.Duration
}

func newPredictCmd() *cobra.Command {
	o := predictOptions{}
	cmd := &cobra.Command{
		Use:   "predict [flags] MODEL[/VERSION] FILE...",
		Short: "Send images or JSON tensors to a server and print the answer",
		Long: `Predict sends files to a model over the Open Inference Protocol (REST or gRPC,
chosen by the --url scheme) and prints the answer.

Images (PNG, JPEG or WebP, recognized by their bytes) are sent together, as one
batch, in a BYTES tensor for the model's image input; the server decodes and
preprocesses them as the model's config.yaml says, and answers their top
classes through the classification extension. One line is printed per class:
file, rank, label, class index and score. A model that takes images but ranks
nothing (no score output, such as the read-number pipeline, which answers the
number it reads and a score per digit) gets each image alone, as the seed
route's image POST does, and each answer is printed as one JSON line with its
outputs, as for .json files.

A .json file holds an inference request, either the protocol's
({"inputs": [{"name", "shape", "datatype", "data"}]}) or the seed routes'
({"inputs": {"<input name>": <nested array>}}, as examples/digits/sample-input.json).
Each file is one request; each answer is printed as one JSON line with the
outputs as nested arrays.`,
		Example: `  inferd predict digits examples/digits/images/7_0.png examples/digits/images/3_0.png
  inferd predict --url grpc://127.0.0.1:8081 digits/1 examples/digits/images/7_0.png
  inferd predict --top-k 1 digits-mlp examples/digits/images/*.png
  inferd predict digits examples/digits/sample-input.json
  inferd predict read-number examples/read-number/images/4835_0.png`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPredict(cmd.Context(), cmd.OutOrStdout(), o, args[0], args[1:])
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8080", "server: http://HOST:PORT (REST) or grpc://HOST:PORT (gRPC)")
	fs.IntVar(&o.topK, "top-k", 5, "classes to print per image")
	fs.BoolVar(&o.binary, "binary", false, "send and receive tensors as binary data (REST binary extension, gRPC raw contents)")
	fs.StringVar(&o.input, "input", "", "the image input (default: the model's only input)")
	fs.StringVar(&o.output, "output", "", "the output to classify (default: the model's only output, or the one its config.yaml ranks)")
	fs.DurationVar(&o.timeout, "timeout", 60*time.Second, "how long to wait for all answers")
	return cmd
}

// predictFile is a file given on the command line.
type predictFile struct {
	path  string
	data  []byte
	image bool
}

func runPredict(ctx context.Context, out io.Writer, o predictOptions, target string, paths []string) error {
	model, version := client.SplitModel(target)
	if model == "" {
		return fmt.Errorf("no model name in %q; want MODEL or MODEL/VERSION", target)
	}
	if o.topK <= 0 {
		return errors.New("--top-k must be positive")
	}
	files := make([]predictFile, len(paths))
	images := 0
	for i, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files[i] = predictFile{path: p, data: data, image: isImage(p, data)}
		if files[i].image {
			images++
		} else if !strings.EqualFold(filepath.Ext(p), ".json") {
			return fmt.Errorf("%s is neither an image (PNG, JPEG, WebP) nor a .json tensor file", p)
		}
	}
	if images != 0 && images != len(files) {
		return errors.New("give either images or .json files, not both")
	}
	return withClient(ctx, o.url, o.timeout, func(ctx context.Context, c *client.Client) error {
		if images > 0 {
			return predictImages(ctx, out, c, o, model, version, files)
		}
		md, err := c.ModelMetadata(ctx, model, version)
		if err != nil {
			return err
		}
		for _, f := range files {
			if err := predictJSON(ctx, out, c, o, md, version, f); err != nil {
				return fmt.Errorf("%s: %w", f.path, err)
			}
		}
		return nil
	})
}

// isImage recognizes PNG, JPEG and WebP files by their bytes.
func isImage(path string, data []byte) bool {
	switch http.DetectContentType(data) {
	case "image/png", "image/jpeg", "image/webp":
		return true
	}
	return false
}

func predictImages(ctx context.Context, out io.Writer, c *client.Client, o predictOptions, model, version string, files []predictFile) error {
	req := &client.ImageRequest{Model: model, Version: version, TopK: o.topK, Input: o.input, Output: o.output}
	for _, f := range files {
		req.Images = append(req.Images, f.data)
	}
	rows, err := c.ClassifyImages(ctx, req)
	if o.output == "" && client.IsNothingToRank(err) {
		return predictImageOutputs(ctx, out, c, req, files)
	}
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tRANK\tLABEL\tINDEX\tSCORE")
	for i, row := range rows {
		for r, p := range row {
			label := p.Label
			if label == "" {
				label = "-"
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%.6g\n", files[i].path, r+1, label, p.Index, p.Score)
		}
	}
	return tw.Flush()
}

// predictImageOutputs sends each image alone to a model that takes images
// but ranks nothing (such as the read-number pipeline), as the seed
// route's image POST does, and prints each answer's outputs as a JSON
// line.
func predictImageOutputs(ctx context.Context, out io.Writer, c *client.Client, req *client.ImageRequest, files []predictFile) error {
	answers, err := c.InferImages(ctx, req)
	if err != nil {
		return err
	}
	for i, res := range answers {
		if err := printAnswer(out, files[i].path, res); err != nil {
			return fmt.Errorf("%s: %w", files[i].path, err)
		}
	}
	return nil
}

// jsonAnswer is how a tensor answer is printed.
type jsonAnswer struct {
	File         string       `json:"file"`
	ModelName    string       `json:"model_name"`
	ModelVersion string       `json:"model_version"`
	Outputs      []jsonTensor `json:"outputs"`
}

type jsonTensor struct {
	Name     string          `json:"name"`
	Datatype string          `json:"datatype"`
	Shape    []int           `json:"shape"`
	Data     json.RawMessage `json:"data"`
}

func predictJSON(ctx context.Context, out io.Writer, c *client.Client, o predictOptions, md *v2.ModelMetadata, version string, f predictFile) error {
	req, err := client.ParseRequestJSON(f.data, md)
	if err != nil {
		return err
	}
	req.Model, req.Version, req.Binary = md.Name, version, req.Binary || o.binary
	res, err := c.Infer(ctx, req)
	if err != nil {
		return err
	}
	return printAnswer(out, f.path, res)
}

// printAnswer prints the answer to a file's request as one JSON line.
func printAnswer(out io.Writer, path string, res *client.InferResponse) error {
	ans := jsonAnswer{File: path, ModelName: res.Model, ModelVersion: res.Version}
	for _, o := range res.Outputs {
		data := tensor.AppendJSON(nil, o.Tensor)
		if o.Tensor.DType() == tensor.String && !validText(tensor.Data[string](o.Tensor)) {
			return fmt.Errorf("output %q holds bytes that are not UTF-8 text, which JSON cannot show", o.Name)
		}
		ans.Outputs = append(ans.Outputs, jsonTensor{Name: o.Name, Datatype: o.Tensor.DType().String(), Shape: o.Tensor.Shape(), Data: data})
	}
	b, err := json.Marshal(ans)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%s\n", b)
	return err
}

func validText(ss []string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}
