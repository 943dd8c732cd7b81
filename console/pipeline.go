package console

import (
	"context"
	"fmt"
	"time"

	"github.com/inferd/inferd/console/series"
	"github.com/inferd/inferd/pipeline"
	"github.com/inferd/inferd/serving"
)

// PipelinePage is one pipeline: its versions' graphs with each step's
// last hour.
type PipelinePage struct {
	Name     string            `json:"name"`
	Versions []PipelineVersion `json:"versions"`
}

// PipelineVersion is one loaded version's graph and step metrics.
type PipelineVersion struct {
	Number int                       `json:"number"`
	State  string                    `json:"state"`
	Error  string                    `json:"error,omitempty"`
	Graph  *pipeline.Graph           `json:"graph,omitempty"`
	Steps  map[string]series.Summary `json:"steps"`
}

// Pipeline returns one pipeline's page.
func (c *Console) Pipeline(_ context.Context, name string) (*PipelinePage, error) {
	m, err := c.cfg.Models.Model(name)
	if err != nil {
		return nil, err
	}
	if s := c.summary(m); !s.Pipeline {
		return nil, fmt.Errorf("%w: %q is a model, not a pipeline: see /ui/api/models/%s", serving.ErrInvalid, name, name)
	}
	p := &PipelinePage{Name: name, Versions: []PipelineVersion{}}
	for _, v := range m.Versions() {
		p.Versions = append(p.Versions, c.pipelineVersion(v))
	}
	return p, nil
}

func (c *Console) pipelineVersion(v *serving.Version) PipelineVersion {
	st := v.Status()
	pv := PipelineVersion{Number: v.Number, State: string(st.State), Steps: map[string]series.Summary{}}
	if st.Err != nil {
		pv.Error = st.Err.Error()
	}
	if pl := v.Pipeline(); pl != nil {
		g := pl.Graph()
		pv.Graph = &g
		for _, s := range g.Steps {
			sum := c.cfg.Series.Lookup(v.ModelName, v.Label(), s.Name).Summary(time.Hour)
			sum.BatchSizes, sum.QueueTimes = nil, nil // steps have neither
			pv.Steps[s.Name] = sum
		}
	}
	return pv
}
