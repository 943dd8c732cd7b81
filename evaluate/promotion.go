package evaluate

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// PromotionFile is the promotion record's name in a model's directory.
const PromotionFile = "promotions.jsonl"

// Promotion is one entry of a model's promotion record: a label moved to
// a version, or a refusal to move it.
type Promotion struct {
	Time     time.Time `json:"time"`
	Actor    string    `json:"actor"`
	Model    string    `json:"model"`
	Label    string    `json:"label"`
	From     string    `json:"from,omitempty"` // the version the label pointed at ("" for none)
	To       string    `json:"to"`
	Promoted bool      `json:"promoted"`
	// Reason says why a promotion was refused, or what else happened.
	Reason   string             `json:"reason,omitempty"`
	Dataset  string             `json:"dataset"`
	Metrics  map[string]float64 `json:"metrics"`
	Baseline map[string]float64 `json:"baseline_metrics,omitempty"`
	Fairness map[string]float64 `json:"fairness,omitempty"`
	Gate     *GateResult        `json:"gate,omitempty"`
}

// AppendPromotion appends p to the record of its model in the repository
// directory: <dir>/<model>/promotions.jsonl, one JSON object a line.
func AppendPromotion(dir string, p *Promotion) error {
	mdir := filepath.Join(dir, p.Model)
	if fi, err := os.Stat(mdir); err != nil || !fi.IsDir() {
		return fmt.Errorf("promotion record: no model directory %s", mdir)
	}
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(mdir, PromotionFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("promotion record: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("promotion record: %w", err)
	}
	return f.Close()
}

// ReadPromotions reads a model's promotion record, oldest first (none
// when there is no record yet).
func ReadPromotions(dir, model string) ([]Promotion, error) {
	return ReadPromotionsFS(os.DirFS(filepath.Join(dir, model)), filepath.Join(dir, model, PromotionFile))
}

// ReadPromotionsFS reads the promotion record of the model directory
// fsys (a repository source's FS); where names the file in errors.
func ReadPromotionsFS(fsys fs.FS, where string) ([]Promotion, error) {
	f, err := fsys.Open(PromotionFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Promotion
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for line := 1; sc.Scan(); line++ {
		var p Promotion
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", where, line, err)
		}
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	return out, nil
}

// WriteJSONLine writes v as one line of JSON.
func WriteJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
