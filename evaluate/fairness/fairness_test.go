package fairness

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

type want struct {
	Groups          []string
	AccuracyByGroup []float64 `json:"accuracy_by_group"`
	Accuracy        struct {
		Min                 float64
		Max                 float64
		Difference          float64
		DifferenceToOverall float64 `json:"difference_to_overall"`
		Ratio               float64
		RatioToOverall      float64 `json:"ratio_to_overall"`
	}
	SelectionRateByGroup        []float64 `json:"selection_rate_by_group"`
	DemographicParityDifference float64   `json:"demographic_parity_difference"`
	DemographicParityRatio      float64   `json:"demographic_parity_ratio"`
	EqualizedOddsDifference     float64   `json:"equalized_odds_difference"`
	EqualizedOddsRatio          float64   `json:"equalized_odds_ratio"`
	EqualOpportunityDifference  float64   `json:"equal_opportunity_difference"`
}

func near(t *testing.T, name string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9 {
		t.Errorf("%s = %.17g, want %.17g", name, got, want)
	}
}

func TestMatchesFairlearnDefinitions(t *testing.T) {
	b, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Cases []struct {
			Name    string
			Columns map[string][]string
			YTrue   []int     `json:"y_true"`
			YPred   []int     `json:"y_pred"`
			Weights []float64 `json:"weights"`
			Want    map[string]want
		}
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	for _, c := range g.Cases {
		for key, w := range c.Want {
			t.Run(c.Name+"/"+key, func(t *testing.T) {
				cols := map[string][]string{"sex": {"sex"}, "race": {"race"}, "sex+race": {"sex", "race"}}[key]
				vals := make([][]string, len(cols))
				for i, col := range cols {
					vals[i] = c.Columns[col]
				}
				grp, err := Intersect(cols, vals)
				if err != nil {
					t.Fatal(err)
				}
				if len(grp.Names) != len(w.Groups) {
					t.Fatalf("groups %v, want %v", grp.Names, w.Groups)
				}
				accG, acc := Rate(grp, c.Weights, func(int) bool { return true }, func(i int) bool { return c.YTrue[i] == c.YPred[i] })
				for i, name := range w.Groups {
					if grp.Names[i] != name {
						t.Fatalf("group %d is %q, want %q", i, grp.Names[i], name)
					}
					near(t, "accuracy "+name, accG[i], w.AccuracyByGroup[i])
				}
				d := Summarise(grp, accG, acc)
				near(t, "group_min", d.Min, w.Accuracy.Min)
				near(t, "group_max", d.Max, w.Accuracy.Max)
				near(t, "difference", d.Difference, w.Accuracy.Difference)
				near(t, "difference to overall", d.DifferenceToOverall, w.Accuracy.DifferenceToOverall)
				near(t, "ratio", d.Ratio, w.Accuracy.Ratio)
				near(t, "ratio to overall", d.RatioToOverall, w.Accuracy.RatioToOverall)
				p, err := ComputeParity(grp, c.YTrue, c.YPred, c.Weights, 1)
				if err != nil {
					t.Fatal(err)
				}
				for i, name := range w.Groups {
					near(t, "selection rate "+name, p.SelectionRate.ByGroup[name], w.SelectionRateByGroup[i])
				}
				near(t, "demographic_parity_difference", p.DemographicParityDifference, w.DemographicParityDifference)
				near(t, "demographic_parity_ratio", p.DemographicParityRatio, w.DemographicParityRatio)
				near(t, "equalized_odds_difference", p.EqualizedOddsDifference, w.EqualizedOddsDifference)
				near(t, "equalized_odds_ratio", p.EqualizedOddsRatio, w.EqualizedOddsRatio)
				near(t, "equal_opportunity_difference", p.EqualOpportunityDifference, w.EqualOpportunityDifference)
			})
		}
	}
}

func TestGroupsErrorsAndSmallGroups(t *testing.T) {
	if _, err := Intersect([]string{"sex"}, [][]string{{"F", ""}}); err == nil {
		t.Fatal("an empty group value was accepted")
	}
	if _, err := Intersect([]string{"a", "b"}, [][]string{{"x"}, {"y", "z"}}); err == nil {
		t.Fatal("ragged group columns were accepted")
	}
	g, err := Intersect([]string{"a"}, [][]string{{"x", "x", "x", "y"}})
	if err != nil {
		t.Fatal(err)
	}
	if s := g.Small(2); len(s) != 1 || s[0] != "a=y" {
		t.Fatalf("small groups %v, want [a=y]", s)
	}
}
