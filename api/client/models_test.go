package client_test

import (
	"context"
	"errors"
	"maps"
	"testing"

	"github.com/inferd/inferd/api/client"
	"github.com/inferd/inferd/server/servertest"
)

// The management calls against a real server: labels and traffic move,
// Models shows them; over gRPC they are refused.
func TestManagement(t *testing.T) {
	s := servertest.StartSource(t, servertest.FakeRepository())
	ctx := context.Background()
	c, err := client.New(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if v, err := c.SetLabel(ctx, "m", "canary", "v2"); err != nil || v != "2" {
		t.Fatalf("SetLabel = %q, %v", v, err)
	}
	split, err := c.SetTraffic(ctx, "m", map[string]int{"1": 9, "2": 1})
	if err != nil || !maps.Equal(split, map[string]int{"1": 9, "2": 1}) {
		t.Fatalf("SetTraffic = %v, %v", split, err)
	}
	models, err := c.Models(ctx)
	if err != nil || len(models) != 1 {
		t.Fatalf("Models = %+v, %v", models, err)
	}
	m := models[0]
	if m.Name != "m" || m.DefaultVersion != "2" || m.Labels["canary"] != 2 || m.Labels["stable"] != 1 || m.Traffic["2"] != 1 ||
		len(m.Versions) != 2 || m.Versions[1] != (client.VersionStatus{Version: "2", State: "AVAILABLE"}) || string(m.Policy) != `{"all":true}` {
		t.Errorf("model %+v", m)
	}
	if err := c.DeleteLabel(ctx, "m", "canary"); err != nil {
		t.Error(err)
	}
	if err := c.ClearTraffic(ctx, "m"); err != nil {
		t.Error(err)
	}
	if models, err := c.Models(ctx); err != nil || len(models[0].Labels) != 1 || models[0].Traffic != nil {
		t.Errorf("after DeleteLabel and ClearTraffic: %+v, %v", models, err)
	}
	if err := c.DeleteLabel(ctx, "cats", "x"); !client.IsNotFound(err) {
		t.Errorf("DeleteLabel of an unknown model: %v", err)
	}

	g, err := client.New("grpc://" + s.GRPCAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if _, err := g.Models(ctx); !errors.Is(err, client.ErrRESTOnly) {
		t.Errorf("Models over gRPC: %v", err)
	}
}
