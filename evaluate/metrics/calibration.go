package metrics

// Bin is one bin of a reliability curve.
type Bin struct {
	Lower      float64 `json:"lower"`
	Upper      float64 `json:"upper"`
	Weight     float64 `json:"weight"`
	Confidence float64 `json:"confidence"`
	Accuracy   float64 `json:"accuracy"`
}

// Calibration is the expected calibration error and the reliability curve
// it comes from.
type Calibration struct {
	ECE  float64 `json:"expected_calibration_error"`
	Bins []Bin   `json:"bins"`
}

// ExpectedCalibration bins samples by their top score (the predicted
// class's confidence) into `bins` equal-width bins (b/bins, (b+1)/bins],
// a confidence of 0 falling into the first, and returns
// ECE = Σ_b (W_b/W)·|accuracy_b − confidence_b|, with weighted means per
// bin. The predicted class is the highest score.
func ExpectedCalibration(yTrue []int, s Scores, w []float64, bins int) (*Calibration, error) {
	if err := check(yTrue, nil, &s, w, s.K); err != nil {
		return nil, err
	}
	if bins <= 0 {
		bins = 10
	}
	c := &Calibration{Bins: make([]Bin, bins)}
	total := 0.0
	for i, t := range yTrue {
		row := s.Row(i)
		p := Argmax(row)
		conf := row[p]
		b := binOf(conf, bins)
		wi := weight(w, i)
		c.Bins[b].Weight += wi
		c.Bins[b].Confidence += wi * conf
		if p == t {
			c.Bins[b].Accuracy += wi
		}
		total += wi
	}
	for b := range c.Bins {
		bin := &c.Bins[b]
		bin.Lower, bin.Upper = float64(b)/float64(bins), float64(b+1)/float64(bins)
		if bin.Weight == 0 {
			continue
		}
		bin.Confidence /= bin.Weight
		bin.Accuracy /= bin.Weight
		d := bin.Accuracy - bin.Confidence
		if d < 0 {
			d = -d
		}
		c.ECE += bin.Weight / total * d
	}
	return c, nil
}

// binOf is the bin of a confidence: ceil(conf·bins)−1, clamped.
func binOf(conf float64, bins int) int {
	b := 0
	for b < bins-1 && conf > float64(b+1)/float64(bins) {
		b++
	}
	return b
}
