package server

import (
	"errors"
	"io/fs"
	"path"

	"github.com/inferd/inferd/evaluate"
)

// ModelFiles gives a model directory's files; repository.Source has it.
type ModelFiles interface {
	FS(name string) (fs.FS, error)
}

// WithPromotions shows each model's promotion record (written by inferd
// promote into MODEL/promotions.jsonl) in its status: which version each
// label pointed at when, and the latest promotions and refusals.
func WithPromotions(files ModelFiles) Option { return func(s *Server) { s.records = files } }

// promotionStatus is the model status's view of the promotion record.
type promotionStatus struct {
	*evaluate.History
	// Error says why the record could not be read.
	Error string `json:"error,omitempty"`
}

// promotions reads a model's promotion record: nil when there is no
// record (or no WithPromotions).
func (s *Server) promotions(model string) *promotionStatus {
	if s.records == nil {
		return nil
	}
	fsys, err := s.records.FS(model)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return &promotionStatus{Error: err.Error()}
	}
	ps, err := evaluate.ReadPromotionsFS(fsys, path.Join(model, evaluate.PromotionFile))
	if err != nil {
		return &promotionStatus{Error: err.Error()}
	}
	if len(ps) == 0 {
		return nil
	}
	return &promotionStatus{History: evaluate.HistoryOf(ps)}
}
