package serving

import (
	"hash/fnv"
	"math/rand/v2"
)

// route picks the version for an unversioned request: by the traffic split
// when the model has one (a non-empty key always picks the same version for
// the same split), else the default version. Versions of the split that are
// not AVAILABLE get no traffic.
func (mod *ServedModel) route(key string) (*Version, error) {
	if len(mod.traffic) == 0 {
		return mod.resolve("")
	}
	var (
		cands   []*Version
		weights []int
		total   int
	)
	for _, n := range mod.traffic.Versions() {
		if v := mod.Version(n); v != nil && v.State() == StateAvailable {
			cands = append(cands, v)
			weights = append(weights, mod.traffic[n])
			total += mod.traffic[n]
		}
	}
	if total == 0 {
		return mod.resolve("")
	}
	var x int
	if key != "" {
		h := fnv.New64a()
		h.Write([]byte(key))
		x = int(h.Sum64() % uint64(total))
	} else {
		x = rand.IntN(total)
	}
	for i, w := range weights {
		if x < w {
			return cands[i], nil
		}
		x -= w
	}
	return cands[len(cands)-1], nil
}
