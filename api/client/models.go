package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// The management API of inferd's seed routes, over REST only: the served
// models, version labels and traffic splits.

// ModelStatus is one model as GET /models lists it.
type ModelStatus struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// DefaultVersion is the highest AVAILABLE version ("" for none).
	DefaultVersion string `json:"default_version,omitempty"`
	// Error is why the model's config.yaml was rejected (the previous one
	// stays in effect).
	Error string `json:"error,omitempty"`
	// Unloaded is set for a model unloaded through the repository API.
	Unloaded bool `json:"unloaded,omitempty"`
	// Policy is the version policy, as config.yaml has it.
	Policy json.RawMessage `json:"version_policy,omitempty"`
	// Labels maps version labels to version numbers.
	Labels map[string]int `json:"version_labels,omitempty"`
	// Traffic splits the unversioned route: version number to weight.
	Traffic map[string]int `json:"traffic,omitempty"`
	// Shadow is the shadow configuration, as config.yaml has it.
	Shadow   json.RawMessage `json:"shadow,omitempty"`
	Versions []VersionStatus `json:"versions"`
	// Promotions is the model's promotion record (inferd promote): which
	// version each label pointed at when, and the latest entries.
	Promotions *Promotions `json:"promotions,omitempty"`
}

// Promotions is a model's promotion history as the server reads it from
// MODEL/promotions.jsonl.
type Promotions struct {
	// Labels are each label's periods, oldest first.
	Labels map[string][]LabelPeriod `json:"labels,omitempty"`
	// Recent are the latest promotions and refusals; Entries counts all.
	Recent  []Promotion `json:"recent"`
	Entries int         `json:"entries"`
	// Error says why the server could not read the record.
	Error string `json:"error,omitempty"`
}

// LabelPeriod is a time in which a label pointed at a version; Since is
// nil before the record began, Until nil while it still points there.
type LabelPeriod struct {
	Version string     `json:"version"`
	Since   *time.Time `json:"since,omitempty"`
	Until   *time.Time `json:"until,omitempty"`
	Actor   string     `json:"actor,omitempty"`
}

// Promotion is one promotion or refusal of the record.
type Promotion struct {
	Time     time.Time `json:"time"`
	Actor    string    `json:"actor,omitempty"`
	Label    string    `json:"label"`
	From     string    `json:"from,omitempty"`
	To       string    `json:"to"`
	Promoted bool      `json:"promoted"`
	Reason   string    `json:"reason,omitempty"`
	Failed   []string  `json:"failed,omitempty"`
}

// VersionStatus is a version's state: LOADING, AVAILABLE, FAILED (with
// its error) or UNLOADED.
type VersionStatus struct {
	Version string `json:"version"`
	State   string `json:"state"`
	Error   string `json:"error,omitempty"`
}

// ErrRESTOnly is returned by the management calls on a gRPC client.
var ErrRESTOnly = errors.New("the management API (models, labels, traffic) is served over REST only: use an http:// or https:// URL")

// rest returns the REST transport, or ErrRESTOnly.
func (c *Client) rest() (*httpTransport, error) {
	if h, ok := c.t.(*httpTransport); ok {
		return h, nil
	}
	return nil, ErrRESTOnly
}

// Models lists the served models, their versions, labels and traffic
// splits (GET /models).
func (c *Client) Models(ctx context.Context) ([]ModelStatus, error) {
	h, err := c.rest()
	if err != nil {
		return nil, err
	}
	var ans struct {
		Models []ModelStatus `json:"models"`
	}
	if err := h.getJSON(ctx, "/models", &ans); err != nil {
		return nil, err
	}
	return ans.Models, nil
}

// SetLabel points a version label of model at version (3 or v3), so that
// requests for the label go to it (PUT /models/{name}/labels/{label}). It
// returns the version as the server has it ("3").
func (c *Client) SetLabel(ctx context.Context, model, label, version string) (string, error) {
	body, err := json.Marshal(map[string]string{"version": version})
	if err != nil {
		return "", err
	}
	var ans struct {
		Version string `json:"version"`
	}
	if err := c.manage(ctx, http.MethodPut, labelPath(model, label), body, &ans); err != nil {
		return "", err
	}
	return ans.Version, nil
}

// DeleteLabel removes a version label of model (DELETE
// /models/{name}/labels/{label}).
func (c *Client) DeleteLabel(ctx context.Context, model, label string) error {
	return c.manage(ctx, http.MethodDelete, labelPath(model, label), nil, nil)
}

// SetTraffic splits model's unversioned route between versions by weight
// ({"3": 90, "4": 10}; PUT /models/{name}/traffic) and returns the split
// in effect.
func (c *Client) SetTraffic(ctx context.Context, model string, split map[string]int) (map[string]int, error) {
	body, err := json.Marshal(split)
	if err != nil {
		return nil, err
	}
	var ans struct {
		Traffic map[string]int `json:"traffic"`
	}
	if err := c.manage(ctx, http.MethodPut, trafficPath(model), body, &ans); err != nil {
		return nil, err
	}
	return ans.Traffic, nil
}

// ClearTraffic removes model's traffic split: the unversioned route goes
// to the default version again (DELETE /models/{name}/traffic).
func (c *Client) ClearTraffic(ctx context.Context, model string) error {
	return c.manage(ctx, http.MethodDelete, trafficPath(model), nil, nil)
}

// manage sends a management request and decodes the answer into ans,
// unless ans is nil.
func (c *Client) manage(ctx context.Context, method, path string, body []byte, ans any) error {
	h, err := c.rest()
	if err != nil {
		return err
	}
	var header http.Header
	if body != nil {
		header = http.Header{"Content-Type": {"application/json"}}
	}
	_, b, err := h.do(ctx, method, path, header, body)
	if err != nil {
		return err
	}
	if ans != nil {
		if err := json.Unmarshal(b, ans); err != nil {
			return fmt.Errorf("%s %s: answer is not the expected JSON: %w", method, path, err)
		}
	}
	return nil
}

func labelPath(model, label string) string {
	return "/models/" + url.PathEscape(model) + "/labels/" + url.PathEscape(label)
}

func trafficPath(model string) string { return "/models/" + url.PathEscape(model) + "/traffic" }
