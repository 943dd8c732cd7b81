package cli

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/inferd/inferd/model"
)

// newModelCmd groups the commands that work on model files and
// repository entries.
func newModelCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "model",
		Short: "Add a model file to a repository, or inspect one",
	}
	cmd.AddCommand(newModelAddCmd(), newModelInspectCmd(), newModelPushCmd())
	return cmd
}

func newModelAddCmd() *cobra.Command {
	o := model.AddOptions{}
	cmd := &cobra.Command{
		Use:   "add MODEL.onnx --name NAME",
		Short: "Add an ONNX file to a model repository, with a commented config.yaml",
		Long: `Add copies an ONNX file into a model repository as DIR/NAME/VERSION/model.onnx,
where DIR is --repository (default models, as for inferd serve) and VERSION is
--version (default: one more than the highest version there). It never replaces
an existing version.

When the model directory has no config.yaml yet, add writes one. Every key of it
is optional: the inputs and outputs read from the file are shown as comments.
--image adds image preprocessing for the model's input (its color, layout and
size read from the input's shape; mean and std left as comments to set), so that
images can be posted to the model. --labels copies a labels file (one label per
line, in class order) beside config.yaml and names it in a postprocess section.

A server following the repository (inferd serve) loads the new version once the
copy is complete.`,
		Example: `  inferd model add my.onnx --name my --image
  inferd model add resnet18.onnx --name resnet --image --labels imagenet.txt
  inferd model add my-v2.onnx --name my --repository /srv/models`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runModelAdd(cmd.OutOrStdout(), args[0], o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.Name, "name", "", "the model's name (its directory in the repository)")
	fs.IntVar(&o.Version, "version", 0, "the version number (default: the next free one)")
	fs.StringVar(&o.Repository, "repository", "models", "model repository directory")
	fs.StringVar(&o.Labels, "labels", "", "labels file to copy and name in a postprocess section")
	fs.BoolVar(&o.Image, "image", false, "accept images: write an image preprocessing section")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

// runModelAdd adds the model file and says what it wrote and how to serve it.
func runModelAdd(w io.Writer, file string, o model.AddOptions) error {
	if o.Version < 0 {
		return fmt.Errorf("--version: must be positive, got %d", o.Version)
	}
	a, err := model.Add(file, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "added %s version %d: %s\n", o.Name, a.Version, a.ModelFile)
	writeValueList(w, "inputs", a.Summary.Inputs)
	writeValueList(w, "outputs", a.Summary.Outputs)
	switch {
	case a.Config != "":
		fmt.Fprintf(w, "wrote %s (edit it to change preprocessing and postprocessing)\n", a.Config)
	case o.Image || o.Labels != "":
		fmt.Fprintf(w, "kept the existing %s: --image and --labels apply to a new model only\n", filepath.Join(o.Repository, o.Name, model.FileName))
	}
	if a.Labels != "" {
		fmt.Fprintf(w, "copied the labels to %s\n", a.Labels)
	}
	fmt.Fprintf(w, "\nserve it:  inferd serve --repository %s\n", o.Repository)
	if o.Image {
		fmt.Fprintf(w, "ask it:    curl --data-binary @image.png -H 'Content-Type: image/png' localhost:8080/models/%s\n", o.Name)
	} else {
		fmt.Fprintf(w, "ask it:    curl localhost:8080/v2/models/%s (metadata), then POST tensors to /v2/models/%s/infer\n", o.Name, o.Name)
	}
	return nil
}

// writeValueList prints a model's inputs or outputs, one a line.
func writeValueList(w io.Writer, title string, vals []model.Value) {
	fmt.Fprintf(w, "  %s:\n", title)
	for _, v := range vals {
		fmt.Fprintf(w, "    %-20s %s\n", v.Name, v.Type)
	}
}
