package monitor_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/inferd/inferd/app"
	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/monitor"
	"github.com/inferd/inferd/monitor/sqlstore"
	"github.com/inferd/inferd/server/servertest"
)

// Two replicas share a PostgreSQL store: a request served by one is
// labelled through the other, and the label joins it.
func TestReplicasSharePostgres(t *testing.T) {
	dsn := os.Getenv("INFERD_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("INFERD_TEST_POSTGRES is not set: run under scripts/postgres.sh to test the PostgreSQL store")
	}
	repo := digitsRepo(t, "monitoring:\n  sample_rate: 1\n")
	start := func() (*servertest.Instance, *sqlstore.Store) {
		store, err := sqlstore.OpenPostgres(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		m, err := monitor.New(store, monitor.WithBatch(16, 5*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		return servertest.StartConfig(t, app.Config{RepositoryDir: repo, Monitor: m}), store
	}
	a, store := start()
	b, _ := start()
	id := fmt.Sprintf("replica-%d", time.Now().UnixNano()) // the database outlives the test
	img := testutil.LoadReference(t).Images[3]
	png := testutil.ReadFile(t, filepath.Join(testutil.DigitsDir(), "images", img.File))
	if r := post(t, a.URL+"/models/digits", "image/png", png, map[string]string{"Inferd-Request-Id": id}); r.code != 200 {
		t.Fatalf("predict on replica a: %d %s", r.code, r.body)
	}
	for range 1000 {
		recs, err := store.Records(context.Background(), monitor.Query{Model: "digits", Since: time.Now().Add(-time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) > 0 && recs[len(recs)-1].RequestID == id {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	body, _ := json.Marshal(map[string]any{"request_id": id, "label": img.Label})
	r := post(t, b.URL+"/models/digits/feedback", "application/json", body, nil)
	var res monitor.FeedbackResult
	if err := json.Unmarshal(r.body, &res); r.code != 200 || err != nil || res.Joined != 1 || res.Correct != 1 {
		t.Fatalf("feedback on replica b: %d %s", r.code, r.body)
	}
}
