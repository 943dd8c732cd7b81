package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestSortDescending(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 2, 7, 1000} {
		score := make([]float64, n)
		for i := range score {
			switch i % 4 {
			case 0:
				score[i] = float64(r.IntN(5)) / 4 // ties
			case 1:
				score[i] = -r.Float64() * 100
			case 2:
				score[i] = math.Copysign(0, float64(r.IntN(2))-0.5)
			default:
				score[i] = r.NormFloat64() * 1e-300
			}
		}
		idx := make([]int32, n)
		for i := range idx {
			idx[i] = int32(n - 1 - i)
		}
		sortDescending(score, idx)
		seen := make([]bool, n)
		for j, i := range idx {
			if seen[i] {
				t.Fatalf("n=%d: index %d twice", n, i)
			}
			seen[i] = true
			if j > 0 && score[idx[j-1]] < score[i] {
				t.Fatalf("n=%d: %v before %v", n, score[idx[j-1]], score[i])
			}
		}
	}
}
