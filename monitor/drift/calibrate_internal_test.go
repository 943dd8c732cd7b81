package drift

import "testing"

func TestThresholdRank(t *testing.T) {
	tests := []struct {
		n     int
		alpha float64
		conf  float64
		want  int
	}{
		// P(Binomial(400, 0.01) ≤ 1) = 0.090 ≤ 0.1 < P(≤ 2) = 0.238: the
		// second largest of 400 scores.
		{400, 0.01, 0.9, 398},
		// Confidence 0.5 is about the plain quantile.
		{400, 0.01, 0.5, 396},
		// P(Binomial(2000, 0.01) ≤ 13) = 0.065 ≤ 0.1 < P(≤ 14) = 0.104.
		{2000, 0.01, 0.9, 1986},
		// Too few windows for the confidence: the largest score.
		{50, 0.01, 0.9, 49},
	}
	for _, tt := range tests {
		if got := thresholdRank(tt.n, tt.alpha, tt.conf); got != tt.want {
			t.Errorf("thresholdRank(%d, %g, %g) = %d, want %d", tt.n, tt.alpha, tt.conf, got, tt.want)
		}
	}
}
